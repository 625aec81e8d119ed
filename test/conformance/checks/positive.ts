/**
 * Positive check: valid requests built from the spec's examples (with prerequisite objects
 * created through other operations) get a documented status, and a body and headers that
 * validate against the spec — strictly: a property the schema does not declare is a failure.
 * At least one of them must succeed (2xx).
 */
import type { Exchange } from '../http.ts';
import { CheckRecorder, type CheckResult } from '../report.ts';
import type { Merchant, RunContext } from '../context.ts';
import type { Operation } from '../spec.ts';

/** What a run lacks for operations that act for a registered payer (`x-payer-scopes`). */
export const PAYER_TOKEN = "a payer's OAuth access token";
/** What a run lacks for the OAuth endpoints (`x-endpoint`) that need a consent flow. */
export const OAUTH_FLOW = 'an OAuth consent flow';

/** How many prerequisite variants are tried before giving up on a success. */
const ATTEMPTS_WITH_PATH_PARAMS = 3;

/**
 * Runs the positive check of `op` as `merchant`: each request example (and, where the body is
 * optional, no body; for lists, the optional filters with their examples), on fresh objects for
 * state-changing operations. Actions are also tried on objects created from the providers' other
 * examples (other states), whose answers must be documented but need not succeed.
 */
export async function positiveCheck(ctx: RunContext, op: Operation, merchant: Merchant): Promise<CheckResult> {
  const rec = new CheckRecorder('positive', ctx.redact);
  // What only a registered payer's consent (in a browser, on the OAuth consent page) can give.
  if (op.payerScopes) {
    rec.needsCredential([PAYER_TOKEN], `it acts for a registered payer (x-payer-scopes: ${op.payerScopes.join(' ')}), whose OAuth access token only their consent on the consent page issues`);
    return rec.result();
  }
  if (op.endpoint && ((op.body && !op.body.json) || !op.success)) {
    rec.needsCredential([OAUTH_FLOW], 'an OAuth endpoint (x-endpoint, RFC 6749): a valid request carries a code or token from a payer\'s consent in a browser and an OAuth client\'s secret, form-encoded');
    return rec.result();
  }
  const fresh = op.method !== 'get';
  const hasPathParams = op.parameters.some((p) => p.in === 'path');
  const exampleCount = op.body?.json?.examples.length ?? 0;
  const variants: (number | 'none')[] = exampleCount > 0 ? [...Array(exampleCount).keys()] : [0];
  if (op.body && !op.body.required) variants.push('none');
  const statuses = new Set<number>();
  let successes = 0;
  let last: Exchange | undefined;
  const auth = ctx.authFor(op, merchant);
  /** CLI options of credentials some request would need but the run was not given. */
  const needed = new Set<string>();
  let skipped = 0;

  const judge = (ex: Exchange, what: string) => {
    rec.requests++;
    statuses.add(ex.status);
    last = ex;
    if (op.role === 'account') ctx.followCredentials(merchant, ex);
    for (const issue of ctx.responseIssues(op, ex, { strict: true })) {
      rec.fail(`${what}: ${issue.message}`, ex, { ...(issue.schemaPath ? { schemaPath: issue.schemaPath } : {}), ...(issue.instancePath !== undefined ? { instancePath: issue.instancePath } : {}) });
    }
    return ex.status >= 200 && ex.status < 300;
  };

  for (const variant of variants) {
    const attempts = hasPathParams ? ATTEMPTS_WITH_PATH_PARAMS : 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const built = await ctx.buildParts(op, merchant, { fresh, example: variant, ...(attempt > 0 ? { variant: attempt } : {}) });
      if ('error' in built) {
        rec.fail(`cannot build a valid request: ${built.error}`);
        break;
      }
      if (built.needs) {
        // It would send the spec's example credential instead of the merchant's: it cannot succeed.
        for (const n of built.needs) needed.add(n);
        skipped++;
        break;
      }
      const what = variant === 'none' ? 'without a body' : built.exampleName ? `example "${built.exampleName}"` : 'request';
      if (judge(await ctx.send(op, built.parts, auth), what)) {
        successes++;
        break;
      }
    }
  }

  // The examples exactly as documented, when credentials or ids were substituted.
  if (op.body?.json && exampleCount > 0) {
    for (let i = 0; i < exampleCount; i++) {
      const raw = await ctx.buildParts(op, merchant, { fresh, example: i, raw: true });
      const used = await ctx.buildParts(op, merchant, { fresh: false, example: i });
      if ('error' in raw || 'error' in used || used.needs) continue;
      const rawBody = raw.parts.body && 'json' in raw.parts.body ? JSON.stringify(raw.parts.body.json) : '';
      const usedBody = used.parts.body && 'json' in used.parts.body ? JSON.stringify(used.parts.body.json) : '';
      if (rawBody !== usedBody) judge(await ctx.send(op, raw.parts, auth), `example "${raw.exampleName}" as documented`);
    }
  }

  // Lists and reads with every optional query parameter that has an example.
  if (op.parameters.some((p) => p.in === 'query' && !p.required)) {
    const built = await ctx.buildParts(op, merchant, { fresh, optionalQuery: true });
    if (!('error' in built) && !built.needs && judge(await ctx.send(op, built.parts, auth), 'with the optional query parameters')) successes++;
  }

  // Actions on objects in the other states the providers' examples create (e.g. a pending payment).
  if (op.method !== 'get' && hasPathParams) {
    for (let variant = 1; variant <= 3; variant++) {
      const built = await ctx.buildParts(op, merchant, { fresh: true, variant });
      if ('error' in built) break;
      if (built.needs) continue;
      judge(await ctx.send(op, built.parts, auth), `on a prerequisite from another example`);
    }
  }

  // Still no success on a fresh object: the action may need a state that another action on the
  // same kind of object leads to (e.g. resolving a dispute needs a disputed escrow). Try each
  // sibling action once first, then this one on the same object.
  if (successes === 0 && op.method !== 'get' && hasPathParams && needed.size === 0) {
    const path = op.parameters.find((p) => p.in === 'path')!;
    const pattern = typeof path.resolved.pattern === 'string' ? path.resolved.pattern : undefined;
    const siblings = ctx.spec.operations.filter(
      (o) => o !== op && o.method === 'post' && o.parameters.filter((p) => p.in === 'path').length === 1 && o.parameters.some((p) => p.in === 'path' && p.resolved.pattern === pattern),
    );
    for (const sibling of pattern ? siblings : []) {
      const built = await ctx.buildParts(op, merchant, { fresh: true });
      if ('error' in built || built.needs) break;
      const id = built.parts.pathParams[path.name]!;
      const before = await ctx.buildParts(sibling, merchant, { given: { [sibling.parameters.find((p) => p.in === 'path')!.name]: id } });
      if ('error' in before || before.needs) continue;
      const prepared = await ctx.send(sibling, before.parts, ctx.authFor(sibling, merchant));
      if (prepared.status < 200 || prepared.status > 299) continue;
      if (judge(await ctx.send(op, built.parts, auth), `after ${sibling.id} on the same object`)) {
        successes++;
        break;
      }
    }
  }

  if (successes === 0 && rec.failureCount === 0 && needed.size > 0) {
    rec.needsCredential([...needed], `its requests carry ${needed.size === 1 ? 'a credential' : 'credentials'} the run was not given (the spec's examples would be sent instead)`);
    return rec.result();
  }
  if (skipped > 0) rec.note(`${skipped} example(s) skipped: they need ${[...needed].join(' and ')}`);
  if (successes === 0 && rec.failureCount === 0) {
    const exchange = last;
    rec.fail(`no valid request built from the spec succeeded (statuses ${[...statuses].join(', ') || 'none'})`, exchange);
  }
  rec.note(`${rec.requests} requests, statuses ${[...statuses].sort().join(', ')}`);
  return rec.result();
}
