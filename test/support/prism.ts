/**
 * Starts the Prism mock (`npm run mock`) on the bundled spec on a free port, for tests: the same
 * command as documented, bound to 127.0.0.1, with `-v warn`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../server/db/embedded.ts';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** A running Prism mock. */
export interface RunningPrism {
  url: string;
  /** Everything Prism printed (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

/** A port nobody listens on right now (the server's own probe, shared). */
export { freePort };

/**
 * Starts Prism on `spec` (default the bundled contract) and waits until it answers.
 * @throws Error when Prism exits or does not answer within `deadlineMs`.
 */
export async function startPrism(spec = 'generated/openapi.yaml', deadlineMs = 30_000): Promise<RunningPrism> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const prism: ChildProcess = spawn(resolve(root, 'node_modules/.bin/prism'), ['mock', spec, '-p', String(port), '-h', '127.0.0.1', '-v', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prism.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  prism.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const close = async () => {
    if (prism.exitCode !== null || prism.signalCode !== null) return;
    const exited = new Promise<void>((done) => prism.once('exit', () => done()));
    prism.kill('SIGTERM');
    const timer = setTimeout(() => prism.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    if (prism.exitCode !== null) throw new Error(`Prism exited with ${prism.exitCode}:\n${output}`);
    try {
      await fetch(`${url}/v1/payments`, { signal: AbortSignal.timeout(1000) });
      return { url, output: () => output, close };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await close();
  throw new Error(`Prism did not answer within ${deadlineMs} ms:\n${output}`);
}
