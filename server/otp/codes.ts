/**
 * One-time codes: send (`requestOtp`), verify and consume (the OTP port), read back in the
 * sandbox (`getSandboxOtp`), forget after a day.
 *
 * A code is 6 random digits, valid {@link OTP_TTL_SECONDS}, single use, locked after
 * {@link MAX_ATTEMPTS} wrong attempts; only the latest code sent to an email or phone counts,
 * and another may be sent {@link RESEND_COOLDOWN_SECONDS} after it. At rest only
 * HMAC-SHA256(key, `<challengeId>:<code>`) is kept, under a key derived from the server secret
 * (`JWT_SECRET`, or the one generated and kept in the database), so the table alone does not
 * give the codes away. The sandbox keeps the code in clear as well (`otp_sandbox_deliveries`),
 * in place of the message it does not send.
 *
 * Sources: requestOtp, getSandboxOtp, createPayment (`mfaCode`), DESIGN.md "OTP".
 */
import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Executor } from '../db/index.ts';
import { ProblemError, invalidField, notFound } from '../errors/problem.ts';
import { newId } from '../ids.ts';
import type { OtpVerification } from './port.ts';
import * as repo from './repository.ts';
import type { Destination, OtpChallengeRow } from './repository.ts';

/** Seconds a code stays valid: 10 minutes. */
export const OTP_TTL_SECONDS = 600;
/** Wrong codes accepted before a code locks. */
export const MAX_ATTEMPTS = 5;
/** Seconds before another code may be sent to the same email or phone. */
export const RESEND_COOLDOWN_SECONDS = 60;
/** Hours a code (used or not) is kept before the purge job deletes it. */
export const RETENTION_HOURS = 24;

/** The HMAC key of codes, derived from the server secret (HKDF-SHA256, its own `info`). */
export function otpKey(serverSecret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, new Uint8Array(0), 'tillpoint otp code v1', 32));
}

function codeHash(key: Buffer, challengeId: string, code: string): Buffer {
  return createHmac('sha256', key).update(`${challengeId}:${code}`).digest();
}

/**
 * Checks and normalises a destination: email lowercased; phone number a valid E.164 number
 * (libphonenumber), as given.
 * @param where whether the fields are body members (`/email`, `/phoneNumber`) or query parameters, for the 400.
 * @throws ProblemError 400 `invalid_request` on a phone number that is not a valid E.164 number.
 */
export function normaliseDestination(input: { email?: string | null; phoneNumber?: string | null }, where: 'body' | 'query' = 'body'): Destination {
  const to: Destination = {};
  if (input.email) to.email = input.email.toLowerCase();
  if (input.phoneNumber) {
    const phone = parsePhoneNumberFromString(input.phoneNumber);
    if (!phone || !phone.isValid() || phone.number !== input.phoneNumber) {
      const detail = 'is not a valid E.164 phone number';
      throw where === 'body' ? invalidField('/phoneNumber', detail) : new ProblemError('invalid_request', `Invalid phoneNumber: ${detail}`, [{ parameter: 'phoneNumber', detail }]);
    }
    to.phoneNumber = phone.number;
  }
  return to;
}

/** Seconds (at least 1) until another code may be sent after `challenge`. */
function secondsUntilResend(challenge: OtpChallengeRow, now: Date): number {
  const at = challenge.createdAt.getTime() + RESEND_COOLDOWN_SECONDS * 1000;
  return Math.max(1, Math.ceil((at - now.getTime()) / 1000));
}

/** What {@link sendOtp} needs of the server. */
export interface OtpDeps {
  /** The server secret the code key is derived from (`deps.signingKey`). */
  serverSecret: Uint8Array;
  mode: 'sandbox' | 'live';
}

/**
 * requestOtp (and the consent page's sign-in): sends a new code to the destination, in one
 * transaction on `db` (advisory locks per destination, so concurrent requests respect the cooldown).
 * @param to a normalised destination with at least one part ({@link normaliseDestination}).
 * @returns the stored challenge (never the code).
 * @throws ProblemError 429 `otp_resend_cooldown` (with `retryAfter`) within 60 s of the previous
 *   code to the email or the phone number.
 */
export async function sendOtp(db: Executor, deps: OtpDeps, merchantId: string, to: Destination, now: Date): Promise<OtpChallengeRow> {
  if (!to.email && !to.phoneNumber) throw new Error('sendOtp needs an email or a phone number');
  return db.transaction(async (tx) => {
    await repo.lockDestinations(tx, merchantId, to);
    const previous = await repo.latestToEither(tx, merchantId, to);
    if (previous && now.getTime() - previous.createdAt.getTime() < RESEND_COOLDOWN_SECONDS * 1000) {
      const retryAfter = secondsUntilResend(previous, now);
      throw new ProblemError('otp_resend_cooldown', `A code was sent there less than ${RESEND_COOLDOWN_SECONDS} seconds ago; another can be requested in ${retryAfter} seconds.`, undefined, { retryAfter });
    }
    const id = newId('otp');
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const challenge = await repo.insertChallenge(tx, {
      id,
      merchantId,
      email: to.email ?? null,
      phoneNumber: to.phoneNumber ?? null,
      codeHash: codeHash(otpKey(deps.serverSecret), id, code).toString('hex'),
      expiresAt: new Date(now.getTime() + OTP_TTL_SECONDS * 1000),
      createdAt: now,
    });
    // A live server would hand the code to its email/SMS provider here (after commit); the sandbox keeps it for read-back.
    if (deps.mode === 'sandbox') await repo.insertSandboxDelivery(tx, id, code);
    return challenge;
  });
}

/** When another code may be sent after `challenge`. */
export function resendAvailableAt(challenge: OtpChallengeRow): Date {
  return new Date(challenge.createdAt.getTime() + RESEND_COOLDOWN_SECONDS * 1000);
}

function invalid(pointer: string, detail: string, attemptsLeft: number): ProblemError {
  return new ProblemError('otp_invalid', detail, [{ pointer, detail: 'is not a valid one-time code' }], { attemptsLeft });
}

function locked(pointer: string, challenge: OtpChallengeRow, now: Date): ProblemError {
  const retryAfter = secondsUntilResend(challenge, now);
  return new ProblemError('otp_attempts_exceeded', `${MAX_ATTEMPTS} wrong codes were tried; request a new code.`, [{ pointer, detail: 'the one-time code is locked' }], { retryAfter });
}

/** Why a code cannot be used now, as the problem to throw, or `undefined` when it can. */
function refusal(challenge: OtpChallengeRow, pointer: string, now: Date): ProblemError | undefined {
  if (challenge.consumedAt) return invalid(pointer, 'This one-time code was already used; request a new one.', 0);
  if (challenge.attempts >= MAX_ATTEMPTS) return locked(pointer, challenge, now);
  if (challenge.expiresAt.getTime() <= now.getTime()) {
    return new ProblemError('otp_expired', 'This one-time code has expired; request a new one.', [{ pointer, detail: 'the one-time code has expired' }], { attemptsLeft: 0 });
  }
  return undefined;
}

/**
 * The OTP port's `verify` (see {@link import('./port.ts').OtpPort.verify} for where to call it).
 * @param serverSecret the server secret the code key is derived from.
 */
export async function verifyOtp(db: Executor, serverSecret: Uint8Array, input: OtpVerification, now: Date): Promise<void> {
  const { pointer } = input;
  // Matched exactly as stored (the caller validated its own fields): an unknown or malformed one matches nothing.
  const to: Destination = { ...(input.email ? { email: input.email.toLowerCase() } : {}), ...(input.phoneNumber ? { phoneNumber: input.phoneNumber } : {}) };
  if (!to.email && !to.phoneNumber) throw invalid(pointer, 'No email or phone number was given with the one-time code.', 0);
  const challenge = await repo.latestToBoth(db, input.merchantId, to);
  if (!challenge) throw invalid(pointer, 'No one-time code was sent there; request one with requestOtp.', 0);
  const refused = refusal(challenge, pointer, now);
  if (refused) throw refused;

  const expected = Buffer.from(challenge.codeHash, 'hex');
  const given = codeHash(otpKey(serverSecret), challenge.id, input.code);
  if (given.length === expected.length && timingSafeEqual(given, expected)) {
    if (await repo.consume(db, challenge.id, MAX_ATTEMPTS, now)) return;
  } else {
    const attempts = await repo.countWrongAttempt(db, challenge.id, MAX_ATTEMPTS);
    if (attempts !== undefined) {
      const attemptsLeft = MAX_ATTEMPTS - attempts;
      throw invalid(pointer, `The one-time code is wrong; ${attemptsLeft} more ${attemptsLeft === 1 ? 'attempt' : 'attempts'} before it locks.`, attemptsLeft);
    }
  }
  // A concurrent request used, locked or outlived the code between the read and the update.
  const current = (await repo.findChallenge(db, challenge.id)) ?? challenge;
  throw refusal(current, pointer, now) ?? invalid(pointer, 'This one-time code can no longer be used; request a new one.', 0);
}

/** What `getSandboxOtp` answers. */
export interface SandboxCode {
  challenge: OtpChallengeRow;
  code: string;
  status: 'pending' | 'used' | 'expired' | 'locked';
  attemptsLeft: number;
}

/**
 * getSandboxOtp: the latest code the sandbox kept for the destination.
 * @throws ProblemError 400 when neither part is given; 404 `not_found` when no code was sent there.
 */
export async function latestSandboxCode(db: Executor, merchantId: string, query: { email?: string; phoneNumber?: string }, now: Date): Promise<SandboxCode> {
  if (!query.email && !query.phoneNumber) {
    throw new ProblemError('invalid_request', 'Give email, phoneNumber, or both.', [
      { parameter: 'email', detail: 'email or phoneNumber is required' },
      { parameter: 'phoneNumber', detail: 'email or phoneNumber is required' },
    ]);
  }
  const to = normaliseDestination(query, 'query');
  const found = await repo.latestSandboxDelivery(db, merchantId, to);
  if (!found) throw notFound('one-time code sent to', [to.email, to.phoneNumber].filter(Boolean).join(' and '));
  const { challenge } = found;
  const status =
    challenge.consumedAt ? 'used'
    : challenge.attempts >= MAX_ATTEMPTS ? 'locked'
    : challenge.expiresAt.getTime() <= now.getTime() ? 'expired'
    : 'pending';
  return { challenge, code: found.code, status, attemptsLeft: MAX_ATTEMPTS - challenge.attempts };
}

/** The purge job's run: forgets codes older than {@link RETENTION_HOURS}. */
export function purgeOldCodes(db: Executor, now: Date): Promise<number> {
  return repo.deleteChallengesBefore(db, new Date(now.getTime() - RETENTION_HOURS * 3600_000));
}
