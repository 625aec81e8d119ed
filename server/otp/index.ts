/**
 * The otp family: one-time codes for payers without a Tillpoint account (`requestOtp`), the
 * `otp` port that money-moving operations verify them through, the sandbox read-back used by
 * `getSandboxOtp` and the consent page's sign-in. Other families reach it only through this file.
 */
import type { Executor } from '../db/index.ts';
import { defineFamily } from '../http/family.ts';
import { latestSandboxCode, purgeOldCodes, verifyOtp } from './codes.ts';
import { otpHandlers } from './handlers.ts';
import type { OtpPort } from './port.ts';
import { toSandboxOtp } from './resource.ts';

export type { OtpPort, OtpVerification } from './port.ts';
export { normaliseDestination, sendOtp, MAX_ATTEMPTS, OTP_TTL_SECONDS, RESEND_COOLDOWN_SECONDS } from './codes.ts';

/**
 * getSandboxOtp's use case and wire shape: the latest code the merchant had sent there.
 * @throws ProblemError 400 without email and phone number; 404 when none was sent there.
 */
export async function sandboxOtp(db: Executor, merchantId: string, query: { email?: string; phoneNumber?: string }, now: Date) {
  return toSandboxOtp(await latestSandboxCode(db, merchantId, query, now));
}

/** The otp family module. */
export const otp = defineFamily({
  tag: 'otp',
  handlers: otpHandlers,
  provides: (deps) => ({
    otp: { verify: (db, input, now) => verifyOtp(db, deps.signingKey, input, now) } satisfies OtpPort,
  }),
  jobs: [
    {
      name: 'otp.purge',
      intervalMs: 60_000,
      run: (deps) => purgeOldCodes(deps.db, deps.now()),
    },
  ],
});
