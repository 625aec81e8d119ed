/** Rows of the otp family → contract shapes. */
import type { components } from '../../generated/schema.d.ts';
import { MAX_ATTEMPTS, resendAvailableAt, type SandboxCode } from './codes.ts';
import type { OtpChallengeRow } from './repository.ts';

/** `OtpChallenge` (requestOtp). */
export function toOtpChallenge(row: OtpChallengeRow): components['schemas']['OtpChallenge'] {
  return {
    id: row.id,
    email: row.email,
    phoneNumber: row.phoneNumber,
    expiresAt: row.expiresAt.toISOString(),
    resendAvailableAt: resendAvailableAt(row).toISOString(),
    maxAttempts: MAX_ATTEMPTS,
    createdAt: row.createdAt.toISOString(),
  };
}

/** `SandboxOtp` (getSandboxOtp). */
export function toSandboxOtp(found: SandboxCode): components['schemas']['SandboxOtp'] {
  const { challenge } = found;
  return {
    challengeId: challenge.id,
    code: found.code,
    email: challenge.email,
    phoneNumber: challenge.phoneNumber,
    status: found.status,
    attemptsLeft: found.attemptsLeft,
    expiresAt: challenge.expiresAt.toISOString(),
    createdAt: challenge.createdAt.toISOString(),
  };
}
