/**
 * `npm run listen -- --forward-to http://localhost:8000/webhooks [--events payment.succeeded,checkout.session.*]
 *   [--base-url URL] [--api-key sk_test_…] [--secret whsec_…] [--interval-ms 1000]`
 *
 * Follows the merchant's event log and forwards each new event to a local URL, signed per
 * Standard Webhooks with a local secret it prints (see client/listen.ts). The base URL and key
 * default to `TILLPOINT_BASE_URL` (else http://localhost:3000) and `TILLPOINT_API_KEY`. Stops on
 * SIGINT/SIGTERM. Exit status 2 on bad arguments, 1 when the event log cannot be read at start.
 */
import { parseArgs } from 'node:util';
import { forwardEvents } from './listen.ts';

const usage = 'usage: npm run listen -- --forward-to <url> [--events <type,type.*>] [--base-url <url>] [--api-key <sk_test_…>] [--secret <whsec_…>] [--interval-ms <ms>]';

let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      'forward-to': { type: 'string' },
      events: { type: 'string' },
      'base-url': { type: 'string' },
      'api-key': { type: 'string' },
      secret: { type: 'string' },
      'interval-ms': { type: 'string' },
    },
    strict: true,
  }));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${usage}\n`);
  process.exit(2);
}

const forwardTo = values['forward-to'];
const apiKey = values['api-key'] ?? process.env.TILLPOINT_API_KEY;
const baseUrl = values['base-url'] ?? process.env.TILLPOINT_BASE_URL ?? 'http://localhost:3000';
const intervalMs = values['interval-ms'] === undefined ? 1000 : Number(values['interval-ms']);
if (!forwardTo || !apiKey || !Number.isInteger(intervalMs) || intervalMs < 50) {
  process.stderr.write(`${!forwardTo ? '--forward-to is required' : !apiKey ? 'an API key is required: --api-key or TILLPOINT_API_KEY' : '--interval-ms must be an integer ≥ 50'}\n${usage}\n`);
  process.exit(2);
}
const events = values.events
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const out = (line: string) => process.stdout.write(`${line}\n`);
let handle: ReturnType<typeof forwardEvents>;
try {
  handle = forwardEvents({
    baseUrl,
    apiKey,
    forwardTo,
    ...(events ? { events } : {}),
    ...(values.secret ? { secret: values.secret } : {}),
    intervalMs,
    onDelivery: (d) =>
      out(`${new Date().toISOString()}  ${d.event.type.padEnd(28)} ${d.event.id}  → ${d.status ?? `failed (${d.error})`}  ${d.durationMs} ms`),
    onError: (err) => process.stderr.write(`reading the event log failed (retrying): ${(err as Error).message}\n`),
  });
  await handle.ready;
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}

out(`Forwarding the events of ${baseUrl} to ${forwardTo}`);
out(`Events:         ${events?.join(', ') ?? 'all types'}`);
out(`Signing secret: ${handle.secret}`);
out('Verify each delivery with this secret (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature). Ctrl-C to stop.');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void handle.stop().then(() => process.exit(0));
  });
}
