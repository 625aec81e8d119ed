/** Idempotency helpers shared by every family's tests: fresh keys and a claim held "in flight". */
import type { Db } from '../../server/db/index.ts';
import { idempotencyKeys } from '../../server/idempotency/schema.ts';
import { requestFingerprint } from '../../server/idempotency/index.ts';
import { TEST_JWT_SECRET } from './server.ts';

/** A fresh, unique idempotency key. */
export function newKey(label = 'test'): string {
  return `${label}-${crypto.randomUUID()}`;
}

/**
 * Records that a request with `key` is being processed right now (the state the server is in
 * between claiming a key and storing its response), so that the "request in progress" answer can
 * be observed deterministically instead of by racing two requests.
 */
export async function claimKeyInFlight(
  db: Db,
  claim: { merchantId: string; key: string; operationId: string; path: string; body: unknown; at: Date },
): Promise<void> {
  await db.insert(idempotencyKeys).values({
    scope: claim.merchantId,
    key: claim.key,
    operationId: claim.operationId,
    requestHash: requestFingerprint(claim, new TextEncoder().encode(TEST_JWT_SECRET)),
    state: 'in_progress',
    createdAt: claim.at,
  });
}
