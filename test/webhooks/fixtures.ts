/**
 * Fixtures of the webhooks tests: a real receiver on loopback (node:http) that records every
 * delivery byte for byte and answers as scripted, verification with the independent
 * `standardwebhooks` library, and servers sharing one fresh database on the run's PostgreSQL
 * server to restart or run side by side.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';
import { createTillpointClient, unwrap, type TillpointClient } from '../../client/index.ts';
import type { components } from '../../generated/schema.d.ts';
import { startServer, type RunningServer } from '../../server/boot.ts';
import { testConfig, type TestServerOptions } from '../support/server.ts';
import { freshTestDatabase } from '../support/postgres.ts';

export type WebhookEndpoint = components['schemas']['WebhookEndpoint'];
export type WebhookEndpointWithSecret = components['schemas']['WebhookEndpointWithSecret'];
export type WebhookDelivery = components['schemas']['WebhookDelivery'];
export type TillpointEvent = components['schemas']['Event'];
export type EventType = components['schemas']['EventType'];

/** One request the receiver got. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received. */
  body: string;
  /** The body parsed (an event). */
  event: TillpointEvent;
}

/** What the receiver answers to one request: a status, or `hang` (never answers). */
export type Answer = number | 'hang';

/** A webhook receiver on 127.0.0.1. */
export interface Receiver {
  port: number;
  /** URL of `path` on this receiver. */
  url(path?: string): string;
  /** Every request received, in order. */
  received: Received[];
  /** Requests received on `path`. */
  on(path: string): Received[];
  /** Answers for the next requests, in order; when empty, `fallback` (default 200). */
  answers: Answer[];
  fallback: Answer;
  /** Milliseconds to wait before answering (a slow endpoint). Default 0. */
  delayMs: number;
  /** Resolves once `count` requests arrived on `path` (or in all), fails after `timeoutMs`. */
  waitFor(count: number, path?: string, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * Starts a receiver. Requests are recorded before they are answered (so a hanging answer still
 * counts as received).
 * @param port A fixed port (to come back on the same URL after a restart); default any free port.
 */
export async function startReceiver(port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const hanging = new Set<() => void>();
  const receiver = {} as Receiver;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let event: TillpointEvent;
      try {
        event = JSON.parse(body) as TillpointEvent;
      } catch {
        event = undefined as unknown as TillpointEvent;
      }
      received.push({ path: req.url ?? '/', headers: req.headers, body, event });
      const answer = receiver.answers.shift() ?? receiver.fallback;
      if (answer === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      const reply = () => res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 200 && answer < 300 ? 'ok' : 'no');
      if (receiver.delayMs > 0) setTimeout(reply, receiver.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  Object.assign(receiver, {
    port: actual,
    url: (path = '/hooks') => `http://127.0.0.1:${actual}${path}`,
    received,
    on: (path: string) => received.filter((r) => r.path === path),
    answers: [],
    fallback: 200,
    delayMs: 0,
    async waitFor(count: number, path?: string, timeoutMs = 15_000) {
      const started = Date.now();
      const list = () => (path ? received.filter((r) => r.path === path) : received);
      while (list().length < count) {
        if (Date.now() - started > timeoutMs) throw new Error(`receiver got ${list().length} of ${count} requests${path ? ` on ${path}` : ''}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return list();
    },
    async close() {
      for (const destroy of hanging) destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  } satisfies Partial<Receiver>);
  return receiver;
}

/** The signature headers of a received request, as `standardwebhooks` takes them. */
export function signatureHeadersOf(r: Received, signature?: string): Record<string, string> {
  return {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': signature ?? String(r.headers['webhook-signature']),
  };
}

/** Verifies a received request with the independent `standardwebhooks` library; returns the event. */
export function verified(r: Received, secret: string): TillpointEvent {
  return new Webhook(secret).verify(r.body, signatureHeadersOf(r)) as TillpointEvent;
}

/** The individual `v1,…` signatures of a request. */
export function signaturesOf(r: Received): string[] {
  return String(r.headers['webhook-signature']).split(' ');
}

/** Creates an endpoint and asserts the 201. */
export async function createEndpoint(
  client: TillpointClient,
  url: string,
  events: components['schemas']['WebhookEventFilter'] = ['*'],
  description?: string,
): Promise<WebhookEndpointWithSecret> {
  const r = await client.POST('/v1/webhook-endpoints', { body: { url, events, ...(description ? { description } : {}) } });
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  return r.data!;
}

/** The deliveries of an endpoint (first page of 100). */
export async function deliveriesOf(client: TillpointClient, endpointId: string, query: { eventId?: string; status?: WebhookDelivery['status'] } = {}): Promise<WebhookDelivery[]> {
  return unwrap(await client.GET('/v1/webhook-endpoints/{endpointId}/deliveries', { params: { path: { endpointId }, query: { limit: 100, ...query } } })).data;
}

/** Advances the server's sandbox clock through the API. */
export async function advanceClock(client: TillpointClient, seconds: number): Promise<components['schemas']['SandboxClock']> {
  return unwrap(await client.POST('/v1/sandbox/clock/advance', { body: { seconds } }));
}

// ---------------------------------------------------------------------------------------------
// Servers on a shared database
// ---------------------------------------------------------------------------------------------

/** A database that servers share, to restart or run side by side. */
export interface SharedStore {
  options: { databaseUrl: string };
  /** Several servers may use it at once (always, on PostgreSQL). */
  concurrent: true;
  drop(): Promise<void>;
}

/** A fresh shared store: a database on the run's PostgreSQL server. */
export async function sharedStore(): Promise<SharedStore> {
  const db = await freshTestDatabase('tp_wh');
  return { options: { databaseUrl: db.url }, concurrent: true, drop: db.drop };
}

/** A server on a shared store, with the test defaults (no rate limits, no background jobs). */
export function startOn(store: SharedStore, options: TestServerOptions = {}): Promise<RunningServer> {
  const { now, log, ...overrides } = options;
  return startServer(testConfig({ ...overrides, ...store.options }), { now, log });
}

/** A new sandbox merchant on `server` and a client with its key (no retries). */
export async function merchantOn(server: RunningServer, name = 'Webhook merchant'): Promise<{ client: TillpointClient; apiKey: string; merchantId: string }> {
  const response = await fetch(`${server.url}/v1/sandbox/merchants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  expect(response.status).toBe(201);
  const merchant = (await response.json()) as components['schemas']['SandboxMerchant'];
  return { client: clientFor(server, merchant.apiKey), apiKey: merchant.apiKey, merchantId: merchant.merchantId };
}

/** A client of `server` authenticated with `apiKey` (no retries). */
export function clientFor(server: RunningServer, apiKey: string): TillpointClient {
  return createTillpointClient({ baseUrl: server.url, apiKey, retry: false });
}
