/**
 * Webhook endpoints: register, read, change, disable, delete, rotate the signing secret, and
 * list the deliveries made to an endpoint. Deliveries themselves are queued by the fan-out
 * (./fan-out.ts) and sent by the delivery job (./worker.ts).
 *
 * Sources: createWebhookEndpoint, listWebhookEndpoints, getWebhookEndpoint,
 * updateWebhookEndpoint, deleteWebhookEndpoint, rotateWebhookEndpointSecret,
 * listWebhookDeliveries.
 */
import type { components } from '../../generated/schema.d.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField, notFound } from '../errors/problem.ts';
import { pageLimit, type ListQuery } from '../http/pagination.ts';
import { newId } from '../ids.ts';
import { forbiddenHostReason } from './address-policy.ts';
import * as repo from './repository.ts';
import type { AttemptRow, DeliveryRow, EndpointRow } from './repository.ts';
import { generateSecret } from './signing.ts';

type CreateRequest = components['schemas']['CreateWebhookEndpointRequest'];
type UpdateRequest = components['schemas']['UpdateWebhookEndpointRequest'];

/** Default overlap of a secret rotation, in seconds (one day). */
export const DEFAULT_OVERLAP_SECONDS = 86_400;

/**
 * Checks an endpoint URL and returns the form to store: absolute http(s), no credentials, and
 * trailing dots of the host name removed (`https://shop.example.com./hooks` is stored as
 * `https://shop.example.com/hooks`, so `localhost.` cannot pass for another name). On a live
 * server also `https:` and no host that {@link forbiddenHostReason} refuses; a name that
 * resolves to a private address is refused when delivering (./address-policy.ts).
 * @throws ProblemError 400 `invalid_request` pointing at `/url`.
 */
function checkUrl(deps: AppDeps, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidField('/url', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidField('/url', 'must be an absolute http(s) URL');
  if (url.username || url.password) throw invalidField('/url', 'must not contain a user name or password');
  if (deps.config.mode === 'live' && url.protocol !== 'https:') throw invalidField('/url', 'must be an https:// URL in live mode');
  const reason = deps.config.mode === 'live' ? forbiddenHostReason(url.hostname) : null;
  if (reason) throw invalidField('/url', reason);
  if (!url.hostname.endsWith('.')) return value;
  url.hostname = url.hostname.replace(/\.+$/, '');
  if (!url.hostname) throw invalidField('/url', 'must be an absolute http(s) URL');
  return url.href;
}

/** @throws ProblemError 400 when `*` is combined with other types. */
function checkFilter(events: readonly string[]): void {
  if (events.includes('*') && events.length > 1) throw invalidField('/events', '"*" already includes every type; send ["*"] alone');
}

/**
 * Most webhook endpoints a merchant may have, disabled ones included (issue #5): one event fans
 * out to at most this many deliveries.
 */
export const MAX_ENDPOINTS_PER_MERCHANT = 16;

/**
 * createWebhookEndpoint: stores an enabled endpoint with a new secret. The count and the insert
 * run under a per-merchant lock, so concurrent creations cannot pass the limit.
 * @throws ProblemError 400 `invalid_request` (URL, filter); 409 `webhook_endpoint_limit` when the
 *   merchant already has {@link MAX_ENDPOINTS_PER_MERCHANT} endpoints.
 */
export async function createEndpoint(db: Executor, deps: AppDeps, merchantId: string, input: CreateRequest): Promise<EndpointRow> {
  const url = checkUrl(deps, input.url);
  checkFilter(input.events);
  const now = deps.now(merchantId);
  return db.transaction(async (tx) => {
    await repo.lockFor(tx, `webhook-endpoints:${merchantId}`);
    if ((await repo.countEndpoints(tx, merchantId)) >= MAX_ENDPOINTS_PER_MERCHANT) {
      throw new ProblemError(
        'webhook_endpoint_limit',
        `This merchant already has ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints, the most allowed; delete one first.`,
      );
    }
    return insertNewEndpoint(tx, merchantId, url, input, now);
  });
}

function insertNewEndpoint(tx: Executor, merchantId: string, url: string, input: CreateRequest, now: Date): Promise<EndpointRow> {
  return repo.insertEndpoint(tx, {
    id: newId('we'),
    merchantId,
    url,
    description: input.description ?? null,
    events: [...input.events],
    disabledReason: null,
    secret: generateSecret(),
    createdAt: now,
    updatedAt: now,
  });
}

/** getWebhookEndpoint. @throws ProblemError 404 `not_found` (unknown, deleted or another merchant's). */
export async function getEndpoint(db: Executor, deps: AppDeps, merchantId: string, endpointId: string): Promise<EndpointRow> {
  const endpoint = await repo.findEndpoint(db, merchantId, endpointId);
  if (!endpoint) throw notFound('webhook endpoint', endpointId);
  return endpoint;
}

/** listWebhookEndpoints: newest first, one page plus one row to detect more. */
export function listEndpoints(db: Executor, deps: AppDeps, merchantId: string, query: ListQuery): Promise<EndpointRow[]> {
  return repo.listEndpoints(db, merchantId, query);
}

/**
 * updateWebhookEndpoint: changes the given fields in one transaction. Disabling marks the
 * endpoint's pending deliveries `failed`; enabling clears `disabledReason` (also after a 410).
 * @throws ProblemError 400 (URL, filter), 404 unknown endpoint.
 */
export async function updateEndpoint(db: Executor, deps: AppDeps, merchantId: string, endpointId: string, input: UpdateRequest): Promise<EndpointRow> {
  const url = input.url !== undefined ? checkUrl(deps, input.url) : undefined;
  if (input.events !== undefined) checkFilter(input.events);
  const now = deps.now(merchantId);
  return db.transaction(async (tx) => {
    const endpoint = await repo.findEndpoint(tx, merchantId, endpointId, true);
    if (!endpoint) throw notFound('webhook endpoint', endpointId);
    const changes: Partial<repo.NewEndpointRow> = { updatedAt: now };
    if (url !== undefined) changes.url = url;
    if (input.events !== undefined) changes.events = [...input.events];
    if (input.description !== undefined) changes.description = input.description;
    if (input.disabled === true && endpoint.disabledReason === null) {
      changes.disabledReason = 'requested';
      await repo.failPendingDeliveries(tx, endpointId);
    }
    if (input.disabled === false) changes.disabledReason = null;
    return repo.updateEndpoint(tx, endpointId, changes);
  });
}

/** deleteWebhookEndpoint: the endpoint, its secret and its deliveries. @throws ProblemError 404. */
export async function deleteEndpoint(db: Executor, deps: AppDeps, merchantId: string, endpointId: string): Promise<void> {
  if (!(await repo.deleteEndpoint(db, merchantId, endpointId))) throw notFound('webhook endpoint', endpointId);
}

/**
 * rotateWebhookEndpointSecret: a new secret signs from now on; the current one becomes the
 * previous secret and keeps signing for `overlapSeconds` (0: dropped at once). Only one previous
 * secret is kept.
 * @param overlapSeconds 0 to 604 800 (7 days), validated by the contract.
 * @throws ProblemError 404 unknown endpoint.
 */
export async function rotateSecret(db: Executor, deps: AppDeps, merchantId: string, endpointId: string, overlapSeconds: number): Promise<EndpointRow> {
  const now = deps.now(merchantId);
  return db.transaction(async (tx) => {
    const endpoint = await repo.findEndpoint(tx, merchantId, endpointId, true);
    if (!endpoint) throw notFound('webhook endpoint', endpointId);
    return repo.updateEndpoint(tx, endpointId, {
      secret: generateSecret(),
      previousSecret: overlapSeconds > 0 ? endpoint.secret : null,
      previousSecretExpiresAt: overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null,
      updatedAt: now,
    });
  });
}

/**
 * listWebhookDeliveries: the endpoint's deliveries, newest first, each with its attempts.
 * @throws ProblemError 404 unknown endpoint.
 */
export async function listDeliveries(
  db: Executor,
  deps: AppDeps,
  merchantId: string,
  endpointId: string,
  filters: repo.DeliveryFilters,
): Promise<{ deliveries: DeliveryRow[]; attempts: Map<string, AttemptRow[]> }> {
  pageLimit(filters); // a bad limit is a 400 even for an unknown endpoint
  await getEndpoint(db, deps, merchantId, endpointId);
  const deliveries = await repo.listDeliveries(db, endpointId, filters);
  return { deliveries, attempts: groupAttempts(await repo.attemptsOf(db, deliveries.map((d) => d.id))) };
}

/** Attempts grouped by delivery id, keeping their order. */
export function groupAttempts(rows: AttemptRow[]): Map<string, AttemptRow[]> {
  const out = new Map<string, AttemptRow[]>();
  for (const row of rows) out.set(row.deliveryId, [...(out.get(row.deliveryId) ?? []), row]);
  return out;
}
