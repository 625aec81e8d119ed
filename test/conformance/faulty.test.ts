/**
 * The suite catches real faults: it runs against the reference server behind a proxy that
 * injects four of them, and each is reported on the right operation and check:
 *
 * - an undocumented field in a response (getCheckoutSession, positive);
 * - a wrong status (createRefund answers 200 instead of 201, positive);
 * - a 500 instead of a 400 for an invalid body (createCheckoutSession, negative);
 * - another merchant's object served instead of a 404 (getPayment, security.cross-merchant).
 *
 * Everything else stays conforming, so the report also shows that the faults are pinned down
 * precisely.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOf } from './fixtures.ts';
import { renderText, type ConformanceReport } from './report.ts';
import { runConformance } from './runner.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let upstream: TestServer;
let proxy: Server;
let base: string;
let report: ConformanceReport;

/** Every payment any merchant was shown, by id: what the leaking fault serves. */
const seenPayments = new Map<string, string>();

function remember(text: string): void {
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const id = (node as { id?: unknown }).id;
    if (typeof id === 'string' && id.startsWith('pay_')) seenPayments.set(id, JSON.stringify(node));
    Object.values(node).forEach(visit);
  };
  try {
    visit(JSON.parse(text));
  } catch {
    // not JSON
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Forwards to the reference server and injects the faults. */
async function faulty(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
  const answer = await fetch(`${upstream.url}${req.url}`, { method: req.method, headers, body: body.length > 0 ? new Uint8Array(body) : undefined });
  let status = answer.status;
  let text = await answer.text();
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  remember(text);

  if (req.method === 'GET' && /^\/v1\/checkout\/sessions\/[^/]+$/.test(path) && status === 200) {
    text = JSON.stringify({ ...(JSON.parse(text) as object), internalNote: 'risk score 0.2' }); // fault 1
  }
  if (req.method === 'POST' && /^\/v1\/payments\/[^/]+\/refunds$/.test(path) && status === 201) status = 200; // fault 2
  if (req.method === 'POST' && path === '/v1/checkout/sessions' && status === 400) {
    status = 500; // fault 3
    text = JSON.stringify({ type: 'about:blank', title: 'Internal error', status: 500, code: 'internal_error', requestId: answer.headers.get('x-request-id') });
  }
  const leak = /^\/v1\/payments\/(pay_[^/]+)$/.exec(path);
  if (req.method === 'GET' && leak && status === 404 && seenPayments.has(leak[1]!)) {
    status = 200; // fault 4
    text = seenPayments.get(leak[1]!)!;
  }

  answer.headers.forEach((value, name) => {
    if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) res.setHeader(name, value);
  });
  if (status === 200 && answer.status !== 200) res.setHeader('content-type', 'application/json; charset=utf-8');
  res.writeHead(status);
  res.end(text);
}

beforeAll(async () => {
  upstream = await startTestServer();
  proxy = createServer((req, res) => {
    faulty(req, res).catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  report = await runConformance({ baseUrl: base, requests: 400, seed: 7 });
}, 180_000);

afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await upstream?.close();
});

const check = (operationId: string, name: string) => checkOf(report, operationId, name);

describe('conformance suite against a faulty target', () => {
  it('fails the run', () => {
    expect(report.summary.ok).toBe(false);
    expect(report.summary.failed).toBeGreaterThanOrEqual(4);
  });

  it('reports the undocumented field, with the schema that does not declare it', () => {
    const c = check('getCheckoutSession', 'positive');
    expect(c.status, renderText(report)).toBe('failed');
    const f = c.failures.find((x) => x.message.includes('undocumented property "internalNote"'));
    expect(f, JSON.stringify(c.failures, null, 2)).toBeDefined();
    expect(f!.schemaPath).toMatch(/^#\/components\/schemas\/CheckoutSession\//);
    expect(f!.response?.body).toContain('internalNote');
    expect(f!.request?.method).toBe('GET');
  });

  it('reports the wrong status, listing the documented ones', () => {
    const c = check('createRefund', 'positive');
    expect(c.status, renderText(report)).toBe('failed');
    expect(c.failures.some((x) => /status 200 is not documented \(documented: 201, /.test(x.message) && x.response?.status === 200), JSON.stringify(c.failures, null, 2)).toBe(true);
  });

  it('reports the 500 answered to an invalid body, with the fuzz case', () => {
    const c = check('createCheckoutSession', 'negative');
    expect(c.status, renderText(report)).toBe('failed');
    const f = c.failures.find((x) => x.response?.status === 500);
    expect(f, JSON.stringify(c.failures, null, 2)).toBeDefined();
    expect(f!.message).toMatch(/5xx is never acceptable/);
    expect(f!.case).toMatch(/^body |^malformed JSON|^no body|^body sent as/);
    expect(f!.request?.body).toBeDefined();
  });

  it("reports another merchant's object leaking", () => {
    const c = check('getPayment', 'security.cross-merchant');
    expect(c.status, renderText(report)).toBe('failed');
    expect(c.failures.some((x) => /reached merchant B's object: 200/.test(x.message)), JSON.stringify(c.failures, null, 2)).toBe(true);
  });

  it('pins the faults down: the operations and checks not affected still pass', () => {
    for (const [op, name] of [
      ['getPayment', 'positive'],
      ['listPayments', 'positive'],
      ['createPayment', 'negative'],
      ['getCheckoutSession', 'security.cross-merchant'],
      ['createRefund', 'security.unauthenticated'],
      ['listCheckoutSessions', 'protocol.pagination'],
      ['getBalance', 'security.unauthenticated'],
    ] as const) {
      expect(check(op, name).status, `${op} ${name}: ${JSON.stringify(check(op, name).failures[0] ?? {})}`).toBe('passed');
    }
  });
});
