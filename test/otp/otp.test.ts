/**
 * The otp family: `requestOtp` (one describe, every status it documents but 500; 409 in flight
 * and 422 key reuse come from the shared idempotency mechanism), the sandbox read-back
 * `getSandboxOtp`, and the `otp` port other families verify codes through: single use, 10
 * minutes, 5 wrong attempts then 429 (also under parallel guessing), a code for one phone or
 * merchant never verifying another, and the keyed hash at rest.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { ProblemError } from '../../server/errors/problem.ts';
import { otpChallenges } from '../../server/otp/schema.ts';
import { clientWithUnknownKey } from '../support/clients.ts';
import { newKey } from '../support/idempotency.ts';
import { expectInvalidBody, expectInvalidParameter, expectProblem } from '../support/problems.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { merchantWithToken } from '../applications/fixtures.ts';

const { server: s, clock } = useTestServer({ clock: 'system' });

let phoneSeq = 0;
/** A fresh, valid Ugandan number per call (cooldowns are per destination). */
function freshPhone(): string {
  phoneSeq += 1;
  return `+2567${String(10_000_000 + phoneSeq * 7919 + Math.floor(Math.random() * 1000)).slice(-8)}`;
}
const freshEmail = () => `payer-${Math.random().toString(36).slice(2)}@Example.com`;

async function send(client: TillpointClient, body: { email?: string; phoneNumber?: string }) {
  return unwrap(await client.POST('/v1/otp', { body }));
}
async function readBack(client: TillpointClient, query: { email?: string; phoneNumber?: string }) {
  return unwrap(await client.GET('/v1/sandbox/otp', { params: { query } }));
}

/** Runs the port's verify on the pool and returns the ProblemError it throws (or undefined). */
async function verify(input: { merchantId: string; email?: string; phoneNumber?: string; code: string }): Promise<ProblemError | undefined> {
  try {
    await s.deps.ports.otp!.verify(s.deps.db, { pointer: '/mfaCode', ...input }, s.deps.now());
    return undefined;
  } catch (err) {
    if (err instanceof ProblemError) return err;
    throw err;
  }
}
const wrongCodeFor = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('requestOtp', () => {
  it('201: the challenge without the code; the sandbox reads the code back; only a keyed hash is stored', async () => {
    const { client } = await s.newMerchant();
    const phoneNumber = freshPhone();
    const email = freshEmail();
    const r = await client.POST('/v1/otp', { body: { email, phoneNumber } });
    expect(r.response.status).toBe(201);
    const created = r.data!;
    expect(created).toEqual({
      id: expect.stringMatching(/^otp_[0-9A-Za-z]{24}$/),
      email: email.toLowerCase(),
      phoneNumber,
      expiresAt: new Date(Date.parse(created.createdAt) + 600_000).toISOString(),
      resendAvailableAt: new Date(Date.parse(created.createdAt) + 60_000).toISOString(),
      maxAttempts: 5,
      createdAt: expect.any(String),
    });
    expect(JSON.stringify(created)).not.toMatch(/"code"/);
    const back = await readBack(client, { phoneNumber });
    expect(back).toMatchObject({ challengeId: created.id, code: expect.stringMatching(/^[0-9]{6}$/), status: 'pending', attemptsLeft: 5 });
    expect(await readBack(client, { email })).toEqual(back);
    const [row] = await s.deps.db.select().from(otpChallenges).where(eq(otpChallenges.id, created.id));
    expect(row!.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.codeHash).not.toContain(back.code);
  });

  it('400: neither email nor phone number, a malformed or invalid phone number, an unknown field', async () => {
    const { client } = await s.newMerchant();
    expectProblem(await client.POST('/v1/otp', { body: {} }), 400, 'invalid_request');
    expectInvalidBody(await client.POST('/v1/otp', { body: { phoneNumber: '0700000001' } }), '/phoneNumber');
    // Well-formed E.164 but not a number any country assigns.
    expectInvalidBody(await client.POST('/v1/otp', { body: { phoneNumber: '+10000000000' } }), '/phoneNumber');
    expectInvalidBody(await client.POST('/v1/otp', { body: { email: 'not an email' } }), '/email');
    expectInvalidBody(await client.POST('/v1/otp', { body: { phoneNumber: freshPhone(), code: '123456' } as never }), '/code');
  });

  it('401 without or with an unknown credential; 403 for a client token without otp.create, 201 with it', async () => {
    expectProblem(await s.anonymous().POST('/v1/otp', { body: { phoneNumber: freshPhone() } }), 401, 'unauthenticated');
    expectProblem(await clientWithUnknownKey(s).POST('/v1/otp', { body: { phoneNumber: freshPhone() } }), 401, 'unauthenticated');
    const lacking = await merchantWithToken(s, ['payments.create']);
    const refused = expectProblem(await lacking.viaToken.POST('/v1/otp', { body: { phoneNumber: freshPhone() } }), 403, 'insufficient_scope');
    expect(refused.requiredScopes).toEqual(['otp.create']);
    const granted = await merchantWithToken(s, ['otp.create']);
    expect((await granted.viaToken.POST('/v1/otp', { body: { phoneNumber: freshPhone() } })).response.status).toBe(201);
  });

  it('429 otp_resend_cooldown with Retry-After within 60 s of the last code to the email or the phone; then a new code replaces the old one', async () => {
    const { client, merchant } = await s.newMerchant();
    const phoneNumber = freshPhone();
    const email = freshEmail();
    const first = await send(client, { phoneNumber });
    const firstCode = (await readBack(client, { phoneNumber })).code;
    clock.advanceSeconds(20);
    // Same phone, even with an email added.
    const r = await client.POST('/v1/otp', { body: { email, phoneNumber } });
    const problem = expectProblem(r, 429, 'otp_resend_cooldown');
    expect(problem.retryAfter).toBeGreaterThanOrEqual(39);
    expect(problem.retryAfter).toBeLessThanOrEqual(41);
    expect(r.response.headers.get('retry-after')).toBe(String(problem.retryAfter));
    // Another merchant's cooldown is its own.
    const other = await s.newMerchant();
    expect((await other.client.POST('/v1/otp', { body: { phoneNumber } })).response.status).toBe(201);

    clock.advanceSeconds(41);
    const second = await send(client, { phoneNumber });
    expect(second.id).not.toBe(first.id);
    const secondCode = (await readBack(client, { phoneNumber })).code;
    // Only the latest code counts.
    if (firstCode !== secondCode) expect(await verify({ merchantId: merchant.merchantId, phoneNumber, code: firstCode })).toMatchObject({ code: 'otp_invalid' });
    expect(await verify({ merchantId: merchant.merchantId, phoneNumber, code: secondCode })).toBeUndefined();
  });

  it('parallel requests for one phone send exactly one code', async () => {
    const { client } = await s.newMerchant();
    const phoneNumber = freshPhone();
    const results = await Promise.all(Array.from({ length: 8 }, () => client.POST('/v1/otp', { body: { phoneNumber } })));
    const statuses = results.map((r) => r.response.status).sort();
    expect(statuses).toEqual([201, 429, 429, 429, 429, 429, 429, 429]);
  });

  it('201 replayed for the same Idempotency-Key (no second code, no cooldown); 422 idempotency_key_reused with another body', async () => {
    const { client } = await s.newMerchant();
    const phoneNumber = freshPhone();
    const key = newKey();
    const first = unwrap(await client.POST('/v1/otp', { body: { phoneNumber }, headers: { 'Idempotency-Key': key } }));
    const again = await client.POST('/v1/otp', { body: { phoneNumber }, headers: { 'Idempotency-Key': key } });
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first);
    expect((await readBack(client, { phoneNumber })).challengeId).toBe(first.id);
    expectProblem(await client.POST('/v1/otp', { body: { phoneNumber: freshPhone() }, headers: { 'Idempotency-Key': key } }), 422, 'idempotency_key_reused');
  });
});

describe('getSandboxOtp', () => {
  it('200: the latest code with its status (pending → used), matching every parameter given', async () => {
    const { client, merchant } = await s.newMerchant();
    const phoneNumber = freshPhone();
    const email = freshEmail();
    await send(client, { email, phoneNumber });
    const back = await readBack(client, { email: email.toUpperCase(), phoneNumber });
    expect(back.status).toBe('pending');
    await verify({ merchantId: merchant.merchantId, phoneNumber, code: back.code });
    expect(await readBack(client, { phoneNumber })).toMatchObject({ challengeId: back.challengeId, status: 'used' });
    // Both given: a code sent to this email and another phone does not match.
    expectProblem(await client.GET('/v1/sandbox/otp', { params: { query: { email, phoneNumber: freshPhone() } } }), 404, 'not_found');
  });

  it('400 without email and phone number, or with an invalid phone number', async () => {
    const { client } = await s.newMerchant();
    expectInvalidParameter(await client.GET('/v1/sandbox/otp', { params: { query: {} } }), 'phoneNumber');
    expectInvalidParameter(await client.GET('/v1/sandbox/otp', { params: { query: { phoneNumber: '+10000000000' } } }), 'phoneNumber');
  });

  it("401 without a credential; 404 for a destination no code was sent to, and for another merchant's code", async () => {
    expectProblem(await s.anonymous().GET('/v1/sandbox/otp', { params: { query: { phoneNumber: freshPhone() } } }), 401, 'unauthenticated');
    const a = await s.newMerchant();
    const b = await s.newMerchant();
    const phoneNumber = freshPhone();
    await send(a.client, { phoneNumber });
    expectProblem(await b.client.GET('/v1/sandbox/otp', { params: { query: { phoneNumber } } }), 404, 'not_found');
    expectProblem(await a.client.GET('/v1/sandbox/otp', { params: { query: { phoneNumber: freshPhone() } } }), 404, 'not_found');
  });
});

describe('otp port: verify', () => {
  it('accepts the right code once (single use), then otp_invalid with attemptsLeft 0', async () => {
    const { client, merchant } = await s.newMerchant();
    const phoneNumber = freshPhone();
    await send(client, { phoneNumber });
    const { code } = await readBack(client, { phoneNumber });
    expect(await verify({ merchantId: merchant.merchantId, phoneNumber, code })).toBeUndefined();
    const reused = await verify({ merchantId: merchant.merchantId, phoneNumber, code });
    expect(reused).toMatchObject({ status: 422, code: 'otp_invalid', extras: { attemptsLeft: 0 }, errors: [{ pointer: '/mfaCode' }] });
  });

  it('brute force stops at 5: attemptsLeft 4…0, then 429 otp_attempts_exceeded even for the right code', async () => {
    const { client, merchant } = await s.newMerchant();
    const email = freshEmail();
    await send(client, { email });
    const { code } = await readBack(client, { email });
    const left: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const err = await verify({ merchantId: merchant.merchantId, email, code: wrongCodeFor(code) });
      expect(err).toMatchObject({ status: 422, code: 'otp_invalid' });
      left.push(err!.extras.attemptsLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const locked = await verify({ merchantId: merchant.merchantId, email, code });
    expect(locked).toMatchObject({ status: 429, code: 'otp_attempts_exceeded' });
    expect(locked!.extras.retryAfter).toBeGreaterThan(0);
    expect(await readBack(client, { email })).toMatchObject({ status: 'locked', attemptsLeft: 0 });
  });

  it('parallel wrong guesses count at most 5 attempts; the rest are 429', async () => {
    const { client, merchant } = await s.newMerchant();
    const phoneNumber = freshPhone();
    const sent = await send(client, { phoneNumber });
    const { code } = await readBack(client, { phoneNumber });
    const guesses = Array.from({ length: 20 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'));
    const errors = await Promise.all(guesses.map((g) => verify({ merchantId: merchant.merchantId, phoneNumber, code: g })));
    expect(errors.filter((e) => e?.code === 'otp_invalid')).toHaveLength(5);
    expect(errors.filter((e) => e?.code === 'otp_attempts_exceeded')).toHaveLength(15);
    const [row] = await s.deps.db.select().from(otpChallenges).where(eq(otpChallenges.id, sent.id));
    expect(row!.attempts).toBe(5);
  });

  it('parallel uses of the right code: exactly one succeeds', async () => {
    const { client, merchant } = await s.newMerchant();
    const phoneNumber = freshPhone();
    await send(client, { phoneNumber });
    const { code } = await readBack(client, { phoneNumber });
    const errors = await Promise.all(Array.from({ length: 6 }, () => verify({ merchantId: merchant.merchantId, phoneNumber, code })));
    expect(errors.filter((e) => e === undefined)).toHaveLength(1);
    expect(errors.filter((e) => e?.code === 'otp_invalid')).toHaveLength(5);
  });

  it('a code for one phone never verifies another phone, an email it was not sent to, or another merchant', async () => {
    const { client, merchant } = await s.newMerchant();
    const other = await s.newMerchant();
    const phoneA = freshPhone();
    const phoneB = freshPhone();
    await send(client, { phoneNumber: phoneA });
    await send(client, { phoneNumber: phoneB });
    const codeA = (await readBack(client, { phoneNumber: phoneA })).code;
    const codeB = (await readBack(client, { phoneNumber: phoneB })).code;
    if (codeA !== codeB) expect(await verify({ merchantId: merchant.merchantId, phoneNumber: phoneB, code: codeA })).toMatchObject({ code: 'otp_invalid', extras: { attemptsLeft: 4 } });
    // Never sent to this phone at all.
    expect(await verify({ merchantId: merchant.merchantId, phoneNumber: freshPhone(), code: codeA })).toMatchObject({ code: 'otp_invalid', extras: { attemptsLeft: 0 } });
    // Sent to the phone only: a call naming the phone and an email does not match it.
    expect(await verify({ merchantId: merchant.merchantId, phoneNumber: phoneA, email: freshEmail(), code: codeA })).toMatchObject({ code: 'otp_invalid' });
    expect(await verify({ merchantId: other.merchant.merchantId, phoneNumber: phoneA, code: codeA })).toMatchObject({ code: 'otp_invalid' });
    // Still good for its own phone.
    expect(await verify({ merchantId: merchant.merchantId, phoneNumber: phoneA, code: codeA })).toBeUndefined();
  });

  it('otp_expired after 10 minutes', async () => {
    const { client, merchant } = await s.newMerchant();
    const phoneNumber = freshPhone();
    await send(client, { phoneNumber });
    const { code } = await readBack(client, { phoneNumber });
    clock.advanceSeconds(600);
    expect(await verify({ merchantId: merchant.merchantId, phoneNumber, code })).toMatchObject({ status: 422, code: 'otp_expired', extras: { attemptsLeft: 0 } });
    expect(await readBack(client, { phoneNumber })).toMatchObject({ status: 'expired' });
  });
});
