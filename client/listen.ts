/**
 * Event forwarding for receivers a server cannot reach (a laptop, a private network): follows the
 * merchant's event log (`listEvents`, `GET /v1/events`, paged with its cursor) and POSTs each new
 * event to a local URL, signed per the Standard Webhooks specification with a local secret,
 * exactly as Tillpoint's webhook deliveries are (same body, same `webhook-*` headers). Used by
 * `npm run listen` (client/listen-cli.ts).
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { createTillpointClient, unwrap, type components } from './index.ts';

type Event = components['schemas']['Event'];

/** Options of {@link forwardEvents}. */
export interface ForwardOptions {
  /** Root URL of the API, without `/v1`. */
  baseUrl: string;
  /** The merchant's secret API key (or a client token with `events.read`, as `clientToken`). */
  apiKey?: string;
  clientToken?: string;
  /** The local URL each event is POSTed to, e.g. `http://localhost:8000/webhooks`. */
  forwardTo: string;
  /**
   * Event types to forward (`payment.succeeded`, or `payment.*` for a family); default every
   * type.
   */
  events?: readonly string[];
  /** `whsec_` + base64 signing secret; default a new random one (see {@link ForwardHandle.secret}). */
  secret?: string;
  /** Milliseconds between two reads of the event log. Default 1000. */
  intervalMs?: number;
  /**
   * Milliseconds of the log read again at every poll, for events written out of order by
   * concurrent transactions (each event is still forwarded once). Default 5000.
   */
  overlapMs?: number;
  /** Milliseconds a delivery may take. Default 10000. */
  timeoutMs?: number;
  /** Called after each delivery attempt. */
  onDelivery?: (delivery: Delivery) => void;
  /** Called when reading the event log fails (the next poll tries again). */
  onError?: (error: unknown) => void;
}

/** One forwarded event and what the local URL answered. */
export interface Delivery {
  event: Event;
  /** HTTP status of the local receiver, or `undefined` when it could not be reached. */
  status: number | undefined;
  /** Why it could not be reached (connection refused, timeout…). */
  error?: string;
  /** Milliseconds from sending to the answer. */
  durationMs: number;
}

/** A running forwarder. */
export interface ForwardHandle {
  /** The signing secret the deliveries are signed with (verify with it in your receiver). */
  readonly secret: string;
  /** Resolves once the forwarder knows where the log ends (only later events are forwarded). */
  readonly ready: Promise<void>;
  /** Stops polling; resolves when the current poll has finished. */
  stop(): Promise<void>;
}

/** A new Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** `payment.*` matches `payment.succeeded`; a type matches itself. */
function matches(filters: readonly string[] | undefined, type: string): boolean {
  if (!filters || filters.length === 0) return true;
  return filters.some((f) => f === type || f === '*' || (f.endsWith('.*') && type.startsWith(f.slice(0, -1))));
}

/**
 * Starts forwarding the events created from now on. Each event is sent once, oldest first, as the
 * body Tillpoint's webhooks carry (`{ id, type, createdAt, data }`) with `webhook-id` (the event
 * id), `webhook-timestamp` and `webhook-signature`; a failed delivery is reported, not retried
 * (`redeliverEvent` or the event log has it).
 * @throws TypeError when `forwardTo` is not an http(s) URL or no credential is given.
 */
export function forwardEvents(options: ForwardOptions): ForwardHandle {
  const target = new URL(options.forwardTo);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new TypeError(`--forward-to must be an http(s) URL, got ${options.forwardTo}`);
  const secret = options.secret ?? newSigningSecret();
  const signer = new Webhook(secret);
  const client = createTillpointClient({
    baseUrl: options.baseUrl,
    ...(options.clientToken ? { clientToken: options.clientToken } : { apiKey: options.apiKey }),
  });
  const intervalMs = options.intervalMs ?? 1000;
  const overlapMs = options.overlapMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  /** Events already seen (forwarded or skipped), by id, with their creation time in ms. */
  const seen = new Map<string, number>();
  let newest = Number.NEGATIVE_INFINITY;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  /** Every event created at or after `since` (ms), following `nextCursor`. */
  async function readFrom(since: number | undefined): Promise<Event[]> {
    const events: Event[] = [];
    let cursor: string | undefined;
    do {
      const page = unwrap(
        await client.GET('/v1/events', {
          params: { query: { limit: 100, ...(since !== undefined && Number.isFinite(since) ? { createdGte: new Date(since).toISOString() } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      );
      events.push(...page.data);
      cursor = page.hasMore && page.nextCursor ? page.nextCursor : undefined;
    } while (cursor && !stopped);
    return events;
  }

  async function deliver(event: Event): Promise<Delivery> {
    const body = JSON.stringify({ id: event.id, type: event.type, createdAt: event.createdAt, data: event.data });
    const started = Date.now();
    try {
      const response = await fetch(target, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'tillpoint-listen',
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(started / 1000)),
          'webhook-signature': signer.sign(event.id, new Date(started), body),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { event, status: response.status, durationMs: Date.now() - started };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { event, status: undefined, error: cause ?? (err as Error).message, durationMs: Date.now() - started };
    }
  }

  async function poll(): Promise<void> {
    const events = await readFrom(Number.isFinite(newest) ? newest - overlapMs : undefined);
    const fresh = events.filter((e) => !seen.has(e.id)).sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : 1));
    for (const event of fresh) {
      if (stopped) return;
      const at = Date.parse(event.createdAt);
      seen.set(event.id, at);
      newest = Math.max(newest, at);
      if (matches(options.events, event.type)) options.onDelivery?.(await deliver(event));
    }
    for (const [id, at] of seen) if (at < newest - overlapMs) seen.delete(id);
  }

  const loop = () => {
    if (stopped) return;
    current = poll()
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };

  // Where the log ends now: those events are history, not forwarded.
  const ready = (async () => {
    const latest = unwrap(await client.GET('/v1/events', { params: { query: { limit: 1 } } })).data[0];
    if (latest) {
      newest = Date.parse(latest.createdAt);
      for (const event of await readFrom(newest - overlapMs)) seen.set(event.id, Date.parse(event.createdAt));
    }
    timer = setTimeout(loop, 0);
  })();

  return {
    secret,
    ready,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await ready.catch(() => undefined);
      await current;
    },
  };
}
