/**
 * `npm run listen`: the CLI (client/listen-cli.ts, run as a child process as a developer runs it)
 * follows the event log of the merchant and forwards each new event to a local receiver, signed
 * with the secret it prints, and prints each delivery's status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unwrap, verifyWebhook, type TillpointEvent } from '../../client/index.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';

const root = resolve(import.meta.dirname, '../..');
const { server } = useTestServer();

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A local webhook receiver on 127.0.0.1 answering 204, and a way to wait for a delivery. */
async function receiver() {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/webhooks`;
  const until = async (found: (r: Received[]) => boolean) => {
    while (!found(received)) await new Promise<void>((r) => waiters.push(r));
  };
  return { url, received, until, close: () => new Promise<void>((r) => http.close(() => r())) };
}

const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
  for (const close of closers.splice(0)) await close();
});

/** Starts `npm run listen`'s script and resolves with its printed secret and its output so far. */
async function listen(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'client/listen-cli.ts', ...args], { cwd: root, env: { ...process.env, TILLPOINT_API_KEY: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  const changed: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
    changed.splice(0).forEach((w) => w());
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const printed = async (pattern: RegExp) => {
    while (!pattern.test(output)) {
      if (child.exitCode !== null) throw new Error(`npm run listen exited ${child.exitCode}: ${output}`);
      await new Promise<void>((r) => {
        changed.push(r);
        child.once('exit', () => r());
      });
    }
    return pattern.exec(output)!;
  };
  const secret = (await printed(/^Signing secret: (whsec_\S+)$/m))[1]!;
  return { secret, printed, output: () => output };
}

const eventOf = (r: Received) => JSON.parse(r.body.toString()) as TillpointEvent;

describe('npm run listen', () => {
  it('forwards a payment made after it started to the local URL, signed with the secret it printed, and prints the delivery status', async () => {
    const { merchant, client } = await server.newMerchant('Listener');
    const before = unwrap(await client.POST('/v1/payments', { body: cardPayment(1000) }));
    const local = await receiver();
    closers.push(local.close);
    const cli = await listen(['--forward-to', local.url, '--base-url', server.url, '--api-key', merchant.apiKey, '--interval-ms', '100']);

    const payment = unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    await local.until((r) => r.some((d) => eventOf(d).type === 'payment.succeeded'));

    const delivery = local.received.find((d) => eventOf(d).type === 'payment.succeeded')!;
    const event = verifyWebhook(delivery.body, delivery.headers, cli.secret);
    expect(event.type).toBe('payment.succeeded');
    expect((event.data.object as { id: string }).id).toBe(payment.id);
    expect(delivery.headers['webhook-id']).toBe(event.id);
    // The event as the log has it, unchanged.
    expect(event).toEqual(unwrap(await client.GET('/v1/events/{eventId}', { params: { path: { eventId: event.id } } })));
    // History from before the start is not forwarded.
    expect(local.received.map((d) => (eventOf(d).data.object as { id?: string }).id)).not.toContain(before.id);
    await cli.printed(new RegExp(`payment\\.succeeded\\s+${event.id}\\s+→ 204`));
    // Another secret does not verify it.
    expect(() => verifyWebhook(delivery.body, delivery.headers, 'whsec_' + Buffer.alloc(24, 1).toString('base64'))).toThrow();
  });

  it('forwards only the types given with --events (a family with .*)', async () => {
    const { merchant, client } = await server.newMerchant('Filtered listener');
    const local = await receiver();
    closers.push(local.close);
    await listen(['--forward-to', local.url, '--base-url', server.url, '--api-key', merchant.apiKey, '--interval-ms', '100', '--events', 'checkout.session.*']);

    unwrap(await client.POST('/v1/payments', { body: cardPayment() }));
    const session = unwrap(
      await client.POST('/v1/checkout/sessions', { body: { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/done', cancelUrl: 'https://shop.example.com/cart' } }),
    );
    await local.until((r) => r.some((d) => eventOf(d).type === 'checkout.session.created'));
    // The payment's event came first in the log and was skipped, not forwarded.
    expect(local.received.map((d) => eventOf(d).type)).toEqual(['checkout.session.created']);
    expect((eventOf(local.received[0]!).data.object as { id: string }).id).toBe(session.id);
  });

  it('refuses to start without --forward-to or a key, saying what is missing', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'client/listen-cli.ts', '--api-key', 'sk_test_x'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(stderr).toContain('--forward-to is required');
  });
});
