/**
 * The payer side of an escrow: the one-time code of an unregistered payer, verified through the
 * otp family's port (`deps.ports.otp`, notes/ports.md §1).
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import type { OtpVerification } from '../otp/index.ts';

/**
 * Verifies and spends the payer's one-time code on `db` (the operation's executor, never inside
 * a transaction that a later failure rolls back: a wrong code must count).
 * @param now the real clock (`deps.realNow()`): a code's lifetime is a credential's.
 * @throws ProblemError 422 `otp_invalid` / `otp_expired`, 429 `otp_attempts_exceeded` (from the
 *   port); Error when no family provides the port (fails closed: no code, no escrow).
 */
export async function verifyPayerOtp(db: Executor, deps: AppDeps, input: OtpVerification, now: Date): Promise<void> {
  const otp = deps.ports.otp;
  if (!otp) throw new Error('No family provides the otp port: an escrow from an unregistered payer needs it');
  await otp.verify(db, input, now);
}
