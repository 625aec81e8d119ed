/**
 * `npm run conformance -- --base-url <url> [options]`: runs the conformance suite against any
 * implementation of the contract and prints a report. Exit code 0 when every check passes and
 * coverage reaches the threshold, 1 on any failure, 2 on a usage error or a run that could not
 * start.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderJUnit, renderText, type ConformanceReport } from './report.ts';
import { DEFAULT_COVERAGE_THRESHOLD, DEFAULT_REQUESTS, runConformance, type ConformanceOptions } from './runner.ts';

const USAGE = `Usage: npm run conformance -- --base-url <url> [options]

Checks an implementation of the Tillpoint contract against the bundled spec.

  --base-url <url>            root URL of the target (required), e.g. http://localhost:3000
  --api-key <key>             credential of the merchant to act as (default: a new sandbox
                              merchant from the spec's credential-issuing operation)
  --api-secret <secret>       its secret (for operations exchanging key and secret; without it
                              they are n/a: "needs --api-secret")
  --api-key-2 <key>           a second merchant, for cross-merchant checks (default: a new one)
  --client-id <id>            the clientId of an application of the --api-key merchant, for
                              operations requiring X-Client-Id (default: read from the merchant's
                              own applications; n/a "needs --client-id" when none is found);
                              --client-id-2 for the --api-key-2 merchant
  --client-token <ct_…>       a client token of the --api-key merchant's application, for the
                              scope checks (default: created with the contract's token-issuing
                              operation, e.g. on a sandbox; without either they are n/a)
  --client-token-scopes <s,…> the scopes that token holds (default none): operations needing
                              others get it as a token lacking their scope, those it covers as
                              one holding it
  --spec <path>               bundled spec (default generated/openapi.yaml)
  --operation <operationId>   only this operation (repeatable)
  --tag <tag>                 only operations with this tag (repeatable)
  --requests <n>              fuzz budget across all operations (default ${DEFAULT_REQUESTS.toLocaleString('en-US')})
  --seed <n>                  fuzz seed (default random; printed in the report)
  --mock[=auto|on|off]        target is a stateless mock (default: detected)
  --coverage-threshold <0..1> share of documented statuses to observe (default ${DEFAULT_COVERAGE_THRESHOLD})
  --timeout <ms>              per-request timeout (default 10000)
  --concurrency <n>           fuzz requests in flight (default 8)
  --rate-limit-probe <n>      exhaust rate limits up to n requests to observe 429 (default 1000)
  --json [file]               write the JSON report to a file, or to stdout without one
  --junit <file>              write a JUnit XML report
  --no-color                  plain text
  -h, --help                  this help
`;

/** Parsed command line. */
interface Cli {
  options: ConformanceOptions;
  json?: string;
  junit?: string;
  color: boolean;
}

/** Turns `--json` without a file into `--json=-`, and a bare `--mock` into `--mock=on`. */
function normalizeArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === '--json' && (next === undefined || next.startsWith('-'))) out.push('--json=-');
    else if (arg === '--mock' && (next === undefined || next.startsWith('-') || !['auto', 'on', 'off', 'true', 'false'].includes(next))) out.push('--mock=on');
    else out.push(arg);
  }
  return out;
}

function number(name: string, value: string | undefined, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`--${name}: invalid value ${JSON.stringify(value)}`);
  return n;
}

/** Parses the command line; throws on a usage error. */
export function parseCli(argv: string[]): Cli | 'help' {
  const { values } = parseArgs({
    args: normalizeArgv(argv),
    options: {
      'base-url': { type: 'string' },
      'api-key': { type: 'string' },
      'api-secret': { type: 'string' },
      'api-key-2': { type: 'string' },
      'client-id': { type: 'string' },
      'client-id-2': { type: 'string' },
      'client-token': { type: 'string' },
      'client-token-scopes': { type: 'string' },
      spec: { type: 'string' },
      operation: { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      requests: { type: 'string' },
      seed: { type: 'string' },
      mock: { type: 'string' },
      'coverage-threshold': { type: 'string' },
      timeout: { type: 'string' },
      concurrency: { type: 'string' },
      'rate-limit-probe': { type: 'string' },
      json: { type: 'string' },
      junit: { type: 'string' },
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const baseUrl = values['base-url'];
  if (!baseUrl) throw new Error('--base-url is required');
  if (!/^https?:\/\//.test(baseUrl)) throw new Error(`--base-url must be an http(s) URL, got ${baseUrl}`);
  if (values['client-token-scopes'] !== undefined && !values['client-token']) throw new Error('--client-token-scopes needs --client-token');
  const mock = values.mock;
  if (mock !== undefined && !['auto', 'on', 'off', 'true', 'false'].includes(mock)) throw new Error('--mock: use auto, on or off');
  const options: ConformanceOptions = {
    baseUrl,
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(values['api-secret'] ? { apiSecret: values['api-secret'] } : {}),
    ...(values['api-key-2'] ? { apiKey2: values['api-key-2'] } : {}),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(values['client-id-2'] ? { clientId2: values['client-id-2'] } : {}),
    ...(values['client-token'] ? { clientToken: values['client-token'] } : {}),
    ...(values['client-token-scopes'] !== undefined ? { clientTokenScopes: values['client-token-scopes'].split(/[\s,]+/).filter(Boolean) } : {}),
    ...(values.spec ? { specPath: values.spec } : {}),
    ...(values.operation ? { operations: values.operation } : {}),
    ...(values.tag ? { tags: values.tag } : {}),
  };
  const requests = number('requests', values.requests, (n) => Number.isInteger(n) && n >= 0);
  const seed = number('seed', values.seed, Number.isInteger);
  const threshold = number('coverage-threshold', values['coverage-threshold'], (n) => n >= 0 && n <= 1);
  const timeout = number('timeout', values.timeout, (n) => n > 0);
  const concurrency = number('concurrency', values.concurrency, (n) => Number.isInteger(n) && n >= 1);
  const probe = number('rate-limit-probe', values['rate-limit-probe'], (n) => Number.isInteger(n) && n >= 0);
  if (requests !== undefined) options.requests = requests;
  if (seed !== undefined) options.seed = seed;
  if (threshold !== undefined) options.coverageThreshold = threshold;
  if (timeout !== undefined) options.timeoutMs = timeout;
  if (concurrency !== undefined) options.concurrency = concurrency;
  if (probe !== undefined) options.rateLimitProbeMax = probe;
  if (mock === 'on' || mock === 'true') options.mock = true;
  if (mock === 'off' || mock === 'false') options.mock = false;
  return {
    options,
    ...(values.json !== undefined ? { json: values.json } : {}),
    ...(values.junit !== undefined ? { junit: values.junit } : {}),
    color: !values['no-color'] && process.stdout.isTTY === true && !process.env.NO_COLOR,
  };
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let cli: Cli | 'help';
  try {
    cli = parseCli(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (cli === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const jsonToStdout = cli.json === '-';
  const tty = process.stdout.isTTY === true && !jsonToStdout;
  if (tty) {
    cli.options.onProgress = (p) => {
      const share = p.total > 0 ? ` ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}` : '';
      process.stdout.write(`\r\x1b[K${p.phase}${share}${p.operationId ? ` ${p.operationId}` : ''} · ${p.requests.toLocaleString('en-US')} requests`);
    };
  }
  cli.options.onNotice = (message) => {
    if (tty) process.stdout.write('\r\x1b[K');
    process.stderr.write(`conformance: ${message}\n`);
  };
  let report: ConformanceReport;
  try {
    report = await runConformance(cli.options);
  } catch (err) {
    if (tty) process.stdout.write('\r\x1b[K');
    process.stderr.write(`conformance: ${(err as Error).message}\n`);
    return 2;
  }
  if (tty) process.stdout.write('\r\x1b[K');
  const text = renderText(report, { color: cli.color });
  if (jsonToStdout) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`${text}\n`);
  } else {
    process.stdout.write(`${text}\n`);
    if (cli.json) writeFileSync(cli.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (cli.junit) writeFileSync(cli.junit, renderJUnit(report));
  return report.summary.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('conformance/cli.ts')) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`conformance: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
