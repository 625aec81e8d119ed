/**
 * The OTP port (notes/ports.md §1): how money-moving operations of other families verify the
 * one-time code a payer without a Tillpoint account gives them (`mfaCode`, `payer.otp`).
 * Implemented by the otp family under `provides.otp`.
 */
import type { Executor } from '../db/index.ts';

/** What a caller gives {@link OtpPort.verify}. */
export interface OtpVerification {
  merchantId: string;
  /** The email the code was sent to (any case). */
  email?: string;
  /** The E.164 phone number the code was sent to. */
  phoneNumber?: string;
  /** The 6 digits the payer gave. */
  code: string;
  /** JSON pointer of the request field carrying the code (`/mfaCode`, `/payer/otp`), put in the problem's `errors[]`. */
  pointer: string;
}

/** One-time code verification, for other families. */
export interface OtpPort {
  /**
   * Verifies and consumes (single use) the latest code the merchant had sent to that email
   * and/or phone number (each one given must match: a code sent to one phone never verifies
   * another). A wrong code counts one of the 5 attempts.
   *
   * Call it on the operation's executor (`ctx.db`) BEFORE opening your own transaction, not
   * inside a `db.transaction(…)` whose rollback would undo the counted attempt: an operation's
   * 4xx response commits with what was written on `ctx.db` (also under an Idempotency-Key). A
   * correct code is spent even when the operation then fails for another reason.
   * @param now the use case's time (`deps.now()`).
   * @throws ProblemError 422 `otp_invalid` (wrong, used, or none sent there) or `otp_expired`,
   *   with `attemptsLeft` and an `errors[]` entry at `pointer`; 429 `otp_attempts_exceeded`
   *   (with `retryAfter`) once 5 wrong codes were tried.
   */
  verify(db: Executor, input: OtpVerification, now: Date): Promise<void>;
}

declare module '../deps.ts' {
  interface Ports {
    /** Offered by otp to payments, escrows and the OAuth consent page. */
    otp: OtpPort;
  }
}
