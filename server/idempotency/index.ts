/**
 * Idempotency keys (DESIGN.md, "Idempotency"). A creating POST that carries `Idempotency-Key`
 * runs at most once per scope and key within 24 hours:
 *
 * - first request: a row is claimed (`in_progress`, committed at once so that concurrent
 *   duplicates see it), then the handler runs inside ONE database transaction that also stores
 *   its response (success or 4xx problem) as `completed`: the effects and the stored response
 *   commit together or not at all;
 * - same key, same body: the stored response is replayed with `Idempotent-Replayed: true`;
 * - same key, other body (or other operation): `422 idempotency_key_reused`;
 * - same key while the first is still running: `409 idempotency_request_in_progress`;
 * - the first request failed (an unexpected error, a 5xx): its transaction rolled back and the
 *   claim is released, so a retry runs again;
 * - the process died mid-request: the claim stays `in_progress`, but since the response commits
 *   with the effects, nothing happened; after {@link IDEMPOTENCY_LEASE_MS} a retry takes it over.
 */
import { createHmac } from 'node:crypto';
import { and, eq, lt, or, sql } from 'drizzle-orm';
import stringify from 'safe-stable-stringify';
import type { Db, Executor, Tx } from '../db/index.ts';
import { idempotencyKeys } from './schema.ts';
import { ProblemError } from '../errors/problem.ts';
import type { Job } from '../jobs.ts';

/**
 * How long a claim may stay `in_progress` before a retry may take it over, in milliseconds
 * (60 s, far above any request's duration).
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;

/** How long a stored response is replayed, in milliseconds (24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** The claim was taken over by a retry after this request outlived its lease; nothing committed. */
export class LeaseLostError extends Error {
  constructor(operationId: string) {
    super(`${operationId} outlived its idempotency lease; a retry took the key over, so this attempt was rolled back`);
    this.name = 'LeaseLostError';
  }
}

/** A response as stored and replayed. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What identifies one idempotent request. */
export interface IdempotentRequest {
  /** Merchant id on authenticated routes, `ip:<address>` on public ones. */
  scope: string;
  key: string;
  operationId: string;
  /** Path with parameters, so the same key on another object counts as another request. */
  path: string;
  body: unknown;
}

/**
 * HMAC-SHA256, keyed with a server secret, over operation, path and the canonical JSON of the body
 * (key order ignored). Keyed so that a stored fingerprint cannot be brute-forced back into what the
 * body held (a card number and CVC, given the last four digits in the stored response).
 */
export function requestFingerprint(req: Pick<IdempotentRequest, 'operationId' | 'path' | 'body'>, secret: Uint8Array): string {
  return createHmac('sha256', secret)
    .update(`${req.operationId}\n${req.path}\n${stringify(req.body ?? null)}`)
    .digest('hex');
}

/**
 * Runs `execute` at most once for this request's key, inside a transaction that also stores its
 * response.
 * @param fingerprintSecret server secret keying the request fingerprint (see {@link requestFingerprint}).
 * @param execute runs the operation on the given transaction; it must do all its database work
 *   through it (nested `transaction()` calls become savepoints).
 * @returns the fresh response, or the stored one with `replayed: true`.
 * @throws ProblemError 422 `idempotency_key_reused` or 409 `idempotency_request_in_progress`.
 */
export async function runIdempotent(
  db: Db,
  req: IdempotentRequest,
  now: Date,
  fingerprintSecret: Uint8Array,
  execute: (tx: Tx) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  const requestHash = requestFingerprint(req, fingerprintSecret);
  const where = and(eq(idempotencyKeys.scope, req.scope), eq(idempotencyKeys.key, req.key));
  // The claim commits without waiting for its WAL flush (about 4 ms of fsync here): a claim lost
  // in a crash guarded nothing yet, and the operation's own (synchronous) commit flushes the WAL
  // up to and past it before any response is sent.
  const claim = () =>
    db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL synchronous_commit = off`);
      return tx
        .insert(idempotencyKeys)
        .values({ scope: req.scope, key: req.key, operationId: req.operationId, requestHash, state: 'in_progress', createdAt: now })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
    });
  let claimed = await claim();
  if (claimed.length === 0) {
    // Forget a key older than the TTL, and a claim abandoned past its lease by a request that
    // died: its transaction never committed, so nothing it did remains.
    const stale = await db
      .delete(idempotencyKeys)
      .where(
        and(
          where,
          or(
            lt(idempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_TTL_MS)),
            and(eq(idempotencyKeys.state, 'in_progress'), lt(idempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_LEASE_MS))),
          ),
        ),
      )
      .returning({ key: idempotencyKeys.key });
    if (stale.length > 0) claimed = await claim();
  }

  if (claimed.length === 0) {
    const [existing] = await db.select().from(idempotencyKeys).where(where).limit(1);
    if (!existing) throw new ProblemError('idempotency_request_in_progress', 'A request with this Idempotency-Key is finishing; retry shortly.');
    if (existing.requestHash !== requestHash) {
      throw new ProblemError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.', [
        { header: 'idempotency-key', detail: 'already used with a different request body or operation' },
      ]);
    }
    if (existing.state !== 'completed' || existing.responseStatus === null) {
      throw new ProblemError('idempotency_request_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly.');
    }
    return { status: existing.responseStatus, body: existing.responseBody, replayed: true };
  }

  try {
    return await db.transaction(async (tx) => {
      const response = await execute(tx);
      if (response.status >= 500) throw new Error(`Idempotent operation ${req.operationId} answered ${response.status}`);
      // Complete only our own claim: if this request outlived its lease and a retry took the key
      // over, the claim row is another one (created later), and this transaction rolls back
      // rather than commit the operation a second time.
      const completed = await tx
        .update(idempotencyKeys)
        .set({ state: 'completed', responseStatus: response.status, responseBody: response.body })
        .where(and(where, eq(idempotencyKeys.state, 'in_progress'), eq(idempotencyKeys.createdAt, now)))
        .returning({ key: idempotencyKeys.key });
      if (completed.length === 0) throw new LeaseLostError(req.operationId);
      return { ...response, replayed: false };
    });
  } catch (err) {
    // Release our claim (only ours: after a takeover the row is the retry's) so a retry runs again.
    await db.delete(idempotencyKeys).where(and(where, eq(idempotencyKeys.createdAt, now), eq(idempotencyKeys.state, 'in_progress')));
    throw err;
  }
}

/**
 * Deletes stored responses older than {@link IDEMPOTENCY_TTL_MS}, so nothing a response carried
 * outlives its replay window. Run by {@link idempotencyPurgeJob}.
 * @returns how many keys were forgotten.
 */
export async function purgeExpiredIdempotencyKeys(db: Executor, now: Date): Promise<number> {
  const purged = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, new Date(now.getTime() - IDEMPOTENCY_TTL_MS)))
    .returning({ key: idempotencyKeys.key });
  return purged.length;
}

/** The job that forgets idempotency keys past their 24 hours (a shared mechanism, in every mode). */
export const idempotencyPurgeJob: Job = {
  name: 'idempotency.purge',
  intervalMs: 1000,
  run: (deps) => purgeExpiredIdempotencyKeys(deps.db, deps.realNow()),
};
