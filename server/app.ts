/**
 * createApp(deps): the Express 5 application, built from the family modules of
 * `server/families.ts`. Order of the pipeline:
 * request id → access log → rate limits → docs and the families' hosted pages → authorization
 * (401/403/400 missing_client_id, server/auth/authorize.ts) → JSON body →
 * express-openapi-validator (requests, security, responses) → one handler per operationId →
 * problem details for every error.
 */
import { readFileSync } from 'node:fs';
import express, { type Request, type Response } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { authorize, securityHandlers } from './auth/index.ts';
import { createServerClock } from './clock/index.ts';
import type { AppDeps, BaseDeps } from './deps.ts';
import type { Tx } from './db/index.ts';
import { ProblemError, type Problem } from './errors/problem.ts';
import { problemMiddleware } from './errors/middleware.ts';
import { setProblemHeaders } from './errors/send.ts';
import { idempotencyPurgeJob, runIdempotent, type StoredResponse } from './idempotency/index.ts';
import { mergeHandlers, type FamilyModule } from './http/family.ts';
import { createLinks } from './http/links.ts';
import type { HandlerContext, OperationHandlers, OperationId } from './http/operations.ts';
import { rateLimits } from './http/rate-limit.ts';
import { requestId } from './http/request-id.ts';
import { storableText } from './http/text.ts';
import { BUNDLED_SPEC_PATH, findOperation, type SpecOperation } from './http/spec.ts';
import { DOCS_PATH } from './docs.ts';
import { families } from './families.ts';
import { payerAuthentication } from './oauth/index.ts';
import { createJobRunner, type ScheduledJobs } from './jobs.ts';
import { createEventRecorder } from './outbox/index.ts';

/**
 * Every operation of the contract mapped to its handler, merged from the families: a missing
 * operationId does not compile here, a duplicated one does not compile in `server/families.ts`
 * (and throws at startup).
 */
export const handlers: OperationHandlers = mergeHandlers(families);

/** The families as modules of any operations. */
const modules: readonly FamilyModule<never>[] = families;

/** Jobs of the shared mechanisms; the families bring theirs. */
const mechanismJobs = [idempotencyPurgeJob];

/**
 * Completes the dependencies `startServer` built with what the families bring: links, the event
 * recorder (their serializers and subscribers), the jobs and the ports they provide.
 * @returns the dependencies and the jobs, not yet started (`jobs.start()`).
 * @throws Error on two serializers of one event type or two jobs of one name.
 */
export function createDeps(base: BaseDeps): { deps: AppDeps; jobs: ScheduledJobs } {
  const ports: AppDeps['ports'] = {};
  const jobs = createJobRunner(() => deps, [...mechanismJobs, ...modules.flatMap((family) => family.jobs ?? [])], base.config.mode);
  const clock = base.clock ?? createServerClock(base.realNow, base.config.mode === 'sandbox');
  const deps: AppDeps = { ...base, clock, now: clock.now, links: createLinks(base.config), events: createEventRecorder(modules, () => deps), jobs, ports };
  for (const family of modules) Object.assign(ports, typeof family.provides === 'function' ? family.provides(deps) : (family.provides ?? {}));
  return { deps, jobs };
}

/**
 * The families' hosted pages in one router. Mounted before `express.json` and the validator:
 * the pages parse their own form bodies and are not operations of the contract.
 */
function familyPages(deps: AppDeps): express.Router {
  const router = express.Router();
  for (const family of modules) if (family.pages) router.use(family.pages(deps));
  return router;
}

/** Builds the application around its dependencies (database, clock, config, logger). */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.set('query parser', 'extended');

  app.use(requestId);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.log.info({ requestId: res.locals.requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  });
  app.use(rateLimits(deps));
  // x-endpoint operations (OAuth): their family's router, in their own formats (RFC 6749).
  for (const family of modules) if (family.endpoints) app.use(family.endpoints(deps));

  const docsHtml = readFileSync(DOCS_PATH, 'utf8');
  app.get('/docs', (_req, res) => void res.type('html').send(docsHtml));
  app.get('/openapi.yaml', (_req, res) => void res.type('application/yaml').sendFile(BUNDLED_SPEC_PATH));
  // Families declare pages, never mount them: every page is in this router, above the JSON body
  // parser and the validator below.
  // API requests skip the page routes' matching altogether (they live outside /v1).
  const pages = familyPages(deps);
  app.use((req, res, next) => (req.path.startsWith('/v1/') ? next() : pages(req, res, next)));

  if (deps.config.mode !== 'sandbox') {
    // A live server has no sandbox routes at all: answer 404 before any validation can describe them.
    app.use('/v1/sandbox', (req, _res, next) => next(new ProblemError('not_found', `No route ${req.method} ${req.originalUrl}.`)));
  }
  // 401/403 (credentials, scopes) and 400 missing_client_id, from the operation index, before the
  // body is parsed and validated.
  app.use(authorize(deps));
  // A registered payer's OAuth access token (X-Payer-Token) next to the merchant's credential.
  app.use(payerAuthentication(deps));
  app.use(express.json({ limit: '100kb', type: ['application/json', 'application/*+json'] }));
  app.use(
    OpenApiValidator.middleware({
      apiSpec: BUNDLED_SPEC_PATH,
      validateRequests: { allErrors: true, allowUnknownQueryParameters: false },
      validateResponses: { allErrors: true },
      validateSecurity: { handlers: securityHandlers() },
      validateFormats: true,
      ajvFormats: { mode: 'full' },
      ignoreUndocumented: false,
    }),
  );

  // Text PostgreSQL cannot store (U+0000, lone surrogates) is refused with a 400 naming the field.
  app.use(storableText);

  // One look-up in the route table built from the operation index (no per-route regex scan).
  app.use((req, res, next) => {
    const op = findOperation(req.method, req.path);
    // x-endpoint operations are their family's endpoints router's (mounted above), never a JSON handler's.
    if (!op || op.endpoint) return next();
    serve(deps, op, req, res).catch(next);
  });
  app.use(problemMiddleware(deps.log));
  return app;
}

/**
 * Whose `Idempotency-Key`s a request's key is compared with: the merchant's (secret API key and
 * its access tokens), one application's (its client tokens: what they create records the
 * application, so another application's request must not replay it), or the client IP's.
 */
function idempotencyScope(req: Request): string {
  if (!req.auth) return `ip:${req.ip}`;
  return req.auth.applicationId ? `${req.auth.merchantId}:${req.auth.applicationId}` : req.auth.merchantId;
}

async function serve(deps: AppDeps, op: SpecOperation, req: Request, res: Response): Promise<void> {
  const rid = String(res.locals.requestId);
  const handler = handlers[op.operationId as OperationId] as (ctx: HandlerContext<OperationId>) => Promise<StoredResponse>;
  const ctx = {
    operationId: op.operationId,
    body: req.body,
    // Path parameters as the validator matched and checked them against the contract.
    params: (req as Request & { openapi?: { pathParams?: Record<string, string> } }).openapi?.pathParams ?? {},
    query: req.query,
    auth: req.auth ?? null,
    payer: req.payer ?? null,
    db: deps.db,
    inTransaction: false,
    deps,
    // The caller's test clock (the base clock on public operations).
    now: req.auth ? () => deps.now(req.auth!.merchantId) : deps.realNow,
    requestId: rid,
    // Made on first use: most handlers never log.
    get log() {
      return deps.log.child({ requestId: rid });
    },
  } as HandlerContext<OperationId>;

  /** Runs the handler; with a transaction, every query of the operation goes through it (`ctx.db`). */
  const run = async (tx?: Tx): Promise<StoredResponse> => {
    try {
      // The transaction's context inherits the rest (a spread would evaluate the lazy logger).
      return await handler(tx ? Object.assign(Object.create(ctx) as typeof ctx, { db: tx, inTransaction: true }) : ctx);
    } catch (err) {
      // Business errors are responses too: stored for idempotent replay, validated like any other.
      // A credential's challenge (a payer token) is not: it goes to the error middleware, unstored.
      if (err instanceof ProblemError && err.status < 500 && !err.challenge) return { status: err.status, body: err.toProblem(req.path, rid) };
      throw err;
    }
  };

  const key = op.idempotent ? req.get('idempotency-key') : undefined;
  const result = key
    ? await runIdempotent(
        deps.db,
        { scope: idempotencyScope(req), key, operationId: op.operationId, path: req.path, body: req.body },
        // The 24-hour window runs on the real clock: another merchant's sandbox clock cannot end it.
        deps.realNow(),
        deps.signingKey,
        run,
      )
    : { ...(await run()), replayed: false };

  if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
  if (result.status >= 400) setProblemHeaders(res, result.body as Problem);
  res.status(result.status).json(result.body);
}
