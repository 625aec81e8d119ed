/**
 * Issue 13 #11: a slow client cannot hold a connection for minutes (Node's default held a
 * trickled body about 315 s). Headers must arrive within HEADERS_TIMEOUT_MS, the whole request
 * within REQUEST_TIMEOUT_MS, and at most MAX_CONNECTIONS are open at once.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
afterAll(() => server?.close());

/** Opens a raw connection, sends `first`, and resolves with how long the server took to close it. */
function heldFor(url: string, first: string, trickle?: string): Promise<{ ms: number; answer: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    let answer = '';
    const socket: Socket = connect(Number(port), hostname, () => socket.write(first));
    const timer = trickle ? setInterval(() => socket.writable && socket.write(trickle), 200) : undefined;
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (timer) clearInterval(timer);
      resolve({ ms: Date.now() - started, answer });
    });
  });
}

describe('slow clients', () => {
  it('cuts off trickled headers and a trickled body, and caps open connections', async () => {
    server = await startTestServer({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
    const headers = await heldFor(server.url, 'GET /v1/balance HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n');
    expect(headers.ms).toBeLessThan(15_000); // Node's default check runs every 30 s: well above
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);

    const { merchant } = await server.newMerchant();
    const body = await heldFor(
      server.url,
      `POST /v1/payments HTTP/1.1\r\nHost: x\r\nx-api-key: ${merchant.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 90000\r\n\r\n{`,
      ' ',
    );
    expect(body.ms).toBeLessThan(15_000);
    expect(body.answer).toMatch(/^HTTP\/1\.1 408/);

    // Three idle connections fill the cap; a fourth is closed at once (a server whose timeouts
    // are long enough for the idle ones to stay open meanwhile).
    const capped = await startTestServer({ maxConnections: 3 });
    onTestFinished(() => capped.close());
    const { hostname, port } = new URL(capped.url);
    const idle = await Promise.all(
      [1, 2, 3].map(() => new Promise<Socket>((resolve) => { const s = connect(Number(port), hostname, () => resolve(s)); s.on('error', () => undefined); })),
    );
    await new Promise((r) => setTimeout(r, 100));
    const fourth = await heldFor(capped.url, '');
    expect(fourth.ms).toBeLessThan(5_000);
    expect(fourth.answer).toBe('');
    for (const s of idle) s.destroy();
  });
});
