/**
 * The payer side of an escrow: the one-time code of an unregistered payer, verified through the
 * otp family's port (`deps.ports.otp`, notes/ports.md §1).
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';

/** What {@link verifyPayerOtp} checks (the OTP port's input). */
export interface PayerOtp {
  merchantId: string;
  email?: string;
  phoneNumber?: string;
  code: string;
  /** JSON pointer of the field carrying the code (`/payer/otp`). */
  pointer: string;
}

type OtpVerifier = { verify(db: Executor, input: PayerOtp, now: Date): Promise<void> };

/**
 * Verifies and spends the payer's one-time code on `db` (the operation's executor, never inside
 * a transaction that a later failure rolls back: a wrong code must count).
 * @throws ProblemError 422 `otp_invalid` / `otp_expired`, 429 when attempts are exhausted (from
 *   the port); Error when no family provides the port (fails closed: no code, no escrow).
 */
export async function verifyPayerOtp(db: Executor, deps: AppDeps, input: PayerOtp, now: Date): Promise<void> {
  // Until the otp family is merged its port is not declared on `Ports`: read it structurally.
  const otp = (deps.ports as { otp?: OtpVerifier }).otp;
  if (!otp) throw new Error('No family provides the otp port: an escrow from an unregistered payer needs it');
  await otp.verify(db, input, now);
}
