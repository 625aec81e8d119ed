/**
 * The webhook delivery worker: at-least-once delivery of the outbox (`webhook_deliveries`).
 *
 * One round ({@link deliverDueWebhooks}):
 * 1. claim due deliveries in one short transaction (`FOR UPDATE SKIP LOCKED` + a lease in
 *    database time), commit;
 * 2. POST each event to its endpoint, signed per Standard Webhooks, with a timeout and no
 *    database transaction open;
 * 3. record each attempt (status code, latency, error, next retry) in its own transaction (a
 *    single statement for the common `2xx`):
 *    `2xx` → `delivered`; `410` → `failed` and the endpoint disabled; anything else → retried on
 *    {@link RETRY_SCHEDULE_SECONDS} with ±10 % jitter, then `failed`.
 *
 * Several workers (several instances, or concurrent rounds in one) never send one attempt twice:
 * a row is claimed by one transaction only, and stays leased until its attempt is recorded. A
 * worker that dies mid-attempt leaves a lease that expires (`leaseMs`), after which the delivery
 * is retried by whichever worker runs next, e.g. after a restart.
 */
import { randomUUID } from 'node:crypto';
import { fetch as undiciFetch, type Response } from 'undici';
import type { AppDeps, WebhookSettings } from '../deps.ts';
import { refreshClockOffsets } from '../clock/index.ts';
import { forbiddenHostReason, liveWebhookDispatcher } from './address-policy.ts';
import * as repo from './repository.ts';
import type { ClaimedDelivery } from './repository.ts';
import { signatureHeaders } from './signing.ts';

/**
 * Delay before retry n (1-based: after the n-th failed attempt), in seconds: 5 s, 30 s, 2 min,
 * 10 min, 30 min, 1 h, 2 h, then every 4 h, about 3 days in all (25 attempts). After the last,
 * the delivery is `failed`.
 */
export const RETRY_SCHEDULE_SECONDS: readonly number[] = [5, 30, 120, 600, 1800, 3600, 7200, ...Array<number>(17).fill(14_400)];

/** Most bytes of an answer read (the rest is discarded; the body is not stored). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * When a delivery whose `attempts`-th attempt just failed is tried again, or `null` when that was
 * the last attempt.
 * @param attempts Attempts made so far, including the failed one (≥ 1).
 * @param from The time of the failed attempt (server clock).
 * @param random A number in [0, 1) for the jitter (tests pass a fixed one).
 */
export function nextRetryAt(attempts: number, from: Date, random: number = Math.random()): Date | null {
  const delay = RETRY_SCHEDULE_SECONDS[attempts - 1];
  if (delay === undefined) return null;
  return new Date(from.getTime() + Math.round(delay * 1000 * (0.9 + 0.2 * random)));
}

/** What one round did. */
export interface DeliveryRound {
  /** Deliveries claimed (each gets at most one attempt this round). */
  claimed: number;
  /** Answered `2xx`. */
  delivered: number;
  /** Failed and scheduled for a retry. */
  retrying: number;
  /** Failed for good: last attempt, `410 Gone`, or endpoint disabled. */
  failed: number;
}

/** Options of {@link deliverDueWebhooks}. */
export interface DeliverOptions {
  /** Most deliveries to claim; default the `batchSize` setting (50). */
  limit?: number;
  /** Aborts the attempts in flight (server shutdown); they are recorded as failed and retried. */
  signal?: AbortSignal;
}

/** The result of one HTTP attempt. */
interface AttemptOutcome {
  attemptedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/**
 * Runs one delivery round: claims the deliveries due now (each on its merchant's clock), sends them with at most
 * `concurrency` in flight and records every attempt. Safe to call concurrently, from one or many
 * instances. Tests that disable the delivery job (`webhookWorkerIntervalMs: 0`) call it by hand.
 * @returns counts of what happened.
 */
export async function deliverDueWebhooks(deps: AppDeps, options: DeliverOptions = {}): Promise<DeliveryRound> {
  // Every default (and the lease that outlasts a batch) is resolved once, in loadConfig.
  const settings = deps.config.webhooks;
  if (deps.config.mode === 'sandbox') await refreshClockOffsets(deps.db, deps.clock);
  const claimed = await repo.claimDue(deps.db, deps.clock, options.limit ?? settings.batchSize, settings.leaseMs, randomUUID());
  const round: DeliveryRound = { claimed: claimed.length, delivered: 0, retrying: 0, failed: 0 };
  let next = 0;
  const lane = async () => {
    while (next < claimed.length) {
      const delivery = claimed[next++]!;
      const result = await deliverOne(deps, settings, delivery, options.signal);
      round[result]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, claimed.length) }, lane));
  return round;
}

/** Sends one claimed delivery and records the attempt. Never throws: a database error is logged. */
async function deliverOne(
  deps: AppDeps,
  settings: WebhookSettings,
  delivery: ClaimedDelivery,
  signal: AbortSignal | undefined,
): Promise<'delivered' | 'retrying' | 'failed'> {
  try {
    if (delivery.disabled) {
      await finishWithoutAttempt(deps, delivery);
      return 'failed';
    }
    const outcome = await post(deps, settings, delivery, signal);
    return await record(deps, delivery, outcome);
  } catch (err) {
    // The lease expires and another round retries the delivery.
    deps.log.error({ err, deliveryId: delivery.id }, 'webhook delivery could not be recorded');
    return 'retrying';
  }
}

/** The event as the body of a delivery: exactly what getEvent returns. */
function bodyOf(delivery: ClaimedDelivery): string {
  return JSON.stringify({ id: delivery.eventId, type: delivery.eventType, createdAt: delivery.eventCreatedAt.toISOString(), data: delivery.eventData });
}

/** POSTs the event: no database transaction is open here. */
async function post(deps: AppDeps, settings: WebhookSettings, delivery: ClaimedDelivery, shutdown: AbortSignal | undefined): Promise<AttemptOutcome> {
  const attemptedAt = deps.now(delivery.merchantId);
  const body = bodyOf(delivery);
  const secrets = [delivery.secret];
  if (delivery.previousSecret && delivery.previousSecretExpiresAt && delivery.previousSecretExpiresAt > attemptedAt) secrets.push(delivery.previousSecret);
  // Real time, not the sandbox clock: receivers check it against their own clock.
  const headers = signatureHeaders(secrets, delivery.eventId, new Date(), body);
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = shutdown ? AbortSignal.any([timeout, shutdown]) : timeout;
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  const live = deps.config.mode === 'live';
  try {
    // Live: a literal address is checked here (no lookup happens for it), a name by the
    // dispatcher's lookup when connecting (issue #4). Sandbox: anywhere, loopback included.
    if (live && forbiddenHostReason(new URL(delivery.url).hostname)) throw new Error('non-public address');
    const response = await undiciFetch(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Tillpoint-Webhooks/1.0', ...headers },
      body,
      redirect: 'manual',
      signal,
      ...(live ? { dispatcher: liveWebhookDispatcher() } : {}),
    });
    await drain(response);
    const ok = response.status >= 200 && response.status < 300;
    const error = ok
      ? null
      : response.status >= 300 && response.status < 400
        ? `The endpoint answered ${response.status} (a redirect); redirects are not followed.`
        : `The endpoint answered ${response.status}.`;
    return { attemptedAt, statusCode: response.status, latencyMs: latency(), error };
  } catch (err) {
    let error: string;
    if (timeout.aborted) error = `The endpoint did not answer within ${settings.timeoutMs / 1000} seconds.`;
    else if (shutdown?.aborted) error = 'The attempt was interrupted by a server shutdown.';
    // Live: one generic text, so attempts cannot map which hosts and ports exist (ECONNREFUSED,
    // TLS details, a refused private address all read the same).
    else error = `Could not reach the endpoint: ${live ? 'connection failed' : networkError(err)}.`;
    return { attemptedAt, statusCode: null, latencyMs: latency(), error };
  }
}

/** Reads at most {@link MAX_RESPONSE_BYTES} of the answer, so the connection can be reused. */
async function drain(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    read += value.byteLength;
    if (read > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return;
    }
  }
}

/** A short description of a fetch failure (`ECONNREFUSED`, DNS failure…), never a stack. */
function networkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/**
 * Records an attempt in its own transaction and moves the delivery on (a `2xx` to a delivery
 * still held takes a one-statement fast path). If another worker took the delivery over (its
 * lease expired first), a failure only adds the attempt; a `2xx` still marks it delivered and a
 * `410` still disables the endpoint.
 */
async function record(deps: AppDeps, delivery: ClaimedDelivery, outcome: AttemptOutcome): Promise<'delivered' | 'retrying' | 'failed'> {
  const { statusCode } = outcome;
  if (statusCode !== null && statusCode >= 200 && statusCode < 300 && (await repo.recordDelivered(deps.db, delivery.id, delivery.lockToken, { ...outcome, statusCode }))) {
    return 'delivered';
  }
  return deps.db.transaction(async (tx) => {
    const row = await repo.lockDelivery(tx, delivery.id);
    if (!row) return 'failed'; // the endpoint was deleted meanwhile
    const owned = row.lockToken === delivery.lockToken;
    const attempts = row.attemptCount + 1;
    const success = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const gone = outcome.statusCode === 410;
    if (!owned && !success && !gone) {
      // Another worker holds the delivery now and schedules it: only record what happened.
      await repo.insertAttempt(tx, { deliveryId: row.id, ...outcome, nextRetryAt: null });
      await repo.updateDelivery(tx, row.id, { attemptCount: attempts });
      return 'retrying';
    }
    const retryAt = success || gone || row.status !== 'pending' ? null : nextRetryAt(attempts, outcome.attemptedAt);
    await repo.insertAttempt(tx, { deliveryId: row.id, ...outcome, nextRetryAt: retryAt });
    const release = owned ? { lockedUntil: null, lockToken: null } : {};
    if (success) {
      await repo.updateDelivery(tx, row.id, { status: 'delivered', attemptCount: attempts, deliveredAt: outcome.attemptedAt, nextAttemptAt: null, ...release });
      return 'delivered';
    }
    if (gone) {
      await repo.updateDelivery(tx, row.id, { status: 'failed', attemptCount: attempts, nextAttemptAt: null, ...release });
      await repo.disableGoneEndpoint(tx, row.endpointId, outcome.attemptedAt);
      await repo.failPendingDeliveries(tx, row.endpointId);
      return 'failed';
    }
    await repo.updateDelivery(tx, row.id, {
      status: retryAt ? 'pending' : 'failed',
      attemptCount: attempts,
      nextAttemptAt: retryAt,
      ...release,
    });
    return retryAt ? 'retrying' : 'failed';
  });
}

/** A claimed delivery whose endpoint was disabled: `failed` without an attempt. */
async function finishWithoutAttempt(deps: AppDeps, delivery: ClaimedDelivery): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const row = await repo.lockDelivery(tx, delivery.id);
    if (row && row.lockToken === delivery.lockToken && row.status === 'pending') {
      await repo.updateDelivery(tx, row.id, { status: 'failed', nextAttemptAt: null, lockedUntil: null, lockToken: null });
    }
  });
}

/**
 * One run of the delivery job: rounds back to back while full batches are claimed (a backlog
 * drains at full speed), until a round claims less than a batch or the server shuts down.
 * @param signal Aborted at shutdown; the attempts in flight are recorded as failed and retried.
 */
export async function runDeliveryRounds(deps: AppDeps, signal: AbortSignal): Promise<void> {
  const { batchSize } = deps.config.webhooks;
  let round: DeliveryRound;
  do {
    round = await deliverDueWebhooks(deps, { signal });
  } while (round.claimed >= batchSize && !signal.aborted);
}
