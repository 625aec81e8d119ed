/**
 * Webhook endpoints: register, read, change, disable, delete, rotate the signing secret, and
 * list the deliveries made to an endpoint. Deliveries themselves are queued by the fan-out
 * (./fan-out.ts) and sent by the delivery job (./worker.ts).
 *
 * Sources: createWebhookEndpoint, listWebhookEndpoints, getWebhookEndpoint,
 * updateWebhookEndpoint, deleteWebhookEndpoint, rotateWebhookEndpointSecret,
 * listWebhookDeliveries.
 */
import { BlockList, isIP } from 'node:net';
import type { components } from '../../generated/schema.d.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { invalidField, notFound } from '../errors/problem.ts';
import { pageLimit, type ListQuery } from '../http/pagination.ts';
import { newId } from '../ids.ts';
import * as repo from './repository.ts';
import type { AttemptRow, DeliveryRow, EndpointRow } from './repository.ts';
import { generateSecret } from './signing.ts';

type CreateRequest = components['schemas']['CreateWebhookEndpointRequest'];
type UpdateRequest = components['schemas']['UpdateWebhookEndpointRequest'];

/** Default overlap of a secret rotation, in seconds (one day). */
export const DEFAULT_OVERLAP_SECONDS = 86_400;

/** Loopback, private, link-local and other non-public ranges: no live endpoint may name one literally. */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10]] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** Whether a URL host is `localhost` or a literal non-public IP address (IPv4-mapped IPv6 included). */
function isNonPublicHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
    return NON_PUBLIC.check(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, 'ipv4');
  }
  const family = isIP(host);
  return family !== 0 && NON_PUBLIC.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Checks an endpoint URL: absolute http(s), no credentials; on a live server also `https:` and
 * not `localhost` or a literal private, loopback or link-local address (a host name that
 * resolves to one is not caught here).
 * @throws ProblemError 400 `invalid_request` pointing at `/url`.
 */
function checkUrl(deps: AppDeps, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidField('/url', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidField('/url', 'must be an absolute http(s) URL');
  if (url.username || url.password) throw invalidField('/url', 'must not contain a user name or password');
  if (deps.config.mode === 'live' && url.protocol !== 'https:') throw invalidField('/url', 'must be an https:// URL in live mode');
  if (deps.config.mode === 'live' && isNonPublicHost(url.hostname)) {
    throw invalidField('/url', 'must not point to localhost or a private, loopback or link-local address in live mode');
  }
}

/** @throws ProblemError 400 when `*` is combined with other types. */
function checkFilter(events: readonly string[]): void {
  if (events.includes('*') && events.length > 1) throw invalidField('/events', '"*" already includes every type; send ["*"] alone');
}

/**
 * createWebhookEndpoint: stores an enabled endpoint with a new secret.
 * @throws ProblemError 400 `invalid_request` (URL, filter).
 */
export async function createEndpoint(db: Executor, deps: AppDeps, merchantId: string, input: CreateRequest): Promise<EndpointRow> {
  checkUrl(deps, input.url);
  checkFilter(input.events);
  const now = deps.now();
  return repo.insertEndpoint(db, {
    id: newId('we'),
    merchantId,
    url: input.url,
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
  if (input.url !== undefined) checkUrl(deps, input.url);
  if (input.events !== undefined) checkFilter(input.events);
  const now = deps.now();
  return db.transaction(async (tx) => {
    const endpoint = await repo.findEndpoint(tx, merchantId, endpointId, true);
    if (!endpoint) throw notFound('webhook endpoint', endpointId);
    const changes: Partial<repo.NewEndpointRow> = { updatedAt: now };
    if (input.url !== undefined) changes.url = input.url;
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
  const now = deps.now();
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
