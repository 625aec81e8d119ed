/**
 * createApp(deps): the Express 5 application. Order of the pipeline:
 * request id → access log → rate limits → docs and hosted pages → JSON body →
 * express-openapi-validator (requests, security, responses) → one handler per operationId →
 * problem details for every error.
 */
import { readFileSync } from 'node:fs';
import express, { type Request, type Response } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { securityHandlers } from './auth/authenticate.ts';
import { authHandlers } from './auth/handlers.ts';
import { checkoutSessionsHandlers } from './checkout-sessions/handlers.ts';
import { checkoutPages } from './checkout-sessions/pages.ts';
import type { AppDeps } from './deps.ts';
import type { Tx } from './db/index.ts';
import { ProblemError, type Problem } from './errors/problem.ts';
import { problemMiddleware } from './errors/middleware.ts';
import { setProblemHeaders } from './errors/send.ts';
import { runIdempotent, type StoredResponse } from './idempotency/index.ts';
import type { HandlerContext, OperationHandlers, OperationId } from './http/operations.ts';
import { rateLimits } from './http/rate-limit.ts';
import { requestId } from './http/request-id.ts';
import { storableText } from './http/text.ts';
import { BUNDLED_SPEC_PATH, findOperation, type SpecOperation } from './http/spec.ts';
import { paymentsHandlers } from './payments/handlers.ts';
import { authenticationPages } from './payments/pages.ts';
import { sandboxHandlers } from './sandbox/handlers.ts';
import { DOCS_PATH } from './docs.ts';
import { eventsHandlers } from './events/handlers.ts';
import { webhooksHandlers } from './webhooks/handlers.ts';

/** Every operation of the contract mapped to its handler; a missing one does not compile. */
export const handlers: OperationHandlers = {
  ...authHandlers,
  ...checkoutSessionsHandlers,
  ...paymentsHandlers,
  ...sandboxHandlers,
  ...webhooksHandlers,
  ...eventsHandlers,
};

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

  const docsHtml = readFileSync(DOCS_PATH, 'utf8');
  app.get('/docs', (_req, res) => void res.type('html').send(docsHtml));
  app.get('/openapi.yaml', (_req, res) => void res.type('application/yaml').sendFile(BUNDLED_SPEC_PATH));
  app.use(checkoutPages(deps));
  app.use(authenticationPages(deps));

  if (deps.config.mode !== 'sandbox') {
    // A live server has no sandbox routes at all: answer 404 before any validation can describe them.
    app.use('/v1/sandbox', (req, _res, next) => next(new ProblemError('not_found', `No route ${req.method} ${req.originalUrl}.`)));
  }
  app.use(express.json({ limit: '100kb', type: ['application/json', 'application/*+json'] }));
  app.use(
    OpenApiValidator.middleware({
      apiSpec: BUNDLED_SPEC_PATH,
      validateRequests: { allErrors: true, allowUnknownQueryParameters: false },
      validateResponses: { allErrors: true },
      validateSecurity: { handlers: securityHandlers(deps) },
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
    if (!op) return next();
    serve(deps, op, req, res).catch(next);
  });
  app.use(problemMiddleware(deps.log));
  return app;
}

async function serve(deps: AppDeps, op: SpecOperation, req: Request, res: Response): Promise<void> {
  const rid = String(res.locals.requestId);
  const handler = handlers[op.operationId] as (ctx: HandlerContext<OperationId>) => Promise<StoredResponse>;
  const ctx = {
    operationId: op.operationId,
    body: req.body,
    // Path parameters as the validator matched and checked them against the contract.
    params: (req as Request & { openapi?: { pathParams?: Record<string, string> } }).openapi?.pathParams ?? {},
    query: req.query,
    auth: req.auth ?? null,
    deps,
    requestId: rid,
    // Made on first use: most handlers never log.
    get log() {
      return deps.log.child({ requestId: rid });
    },
  } as HandlerContext<OperationId>;

  /** Runs the handler; with a transaction, every query of the operation goes through it. */
  const run = async (tx?: Tx): Promise<StoredResponse> => {
    try {
      return await handler(tx ? { ...ctx, deps: { ...deps, db: tx } } : ctx);
    } catch (err) {
      // Business errors are responses too: stored for idempotent replay, validated like any other.
      if (err instanceof ProblemError && err.status < 500) return { status: err.status, body: err.toProblem(req.path, rid) };
      throw err;
    }
  };

  const key = op.idempotent ? req.get('idempotency-key') : undefined;
  const result = key
    ? await runIdempotent(
        deps.db,
        { scope: req.auth ? req.auth.merchantId : `ip:${req.ip}`, key, operationId: op.operationId, path: req.path, body: req.body },
        deps.now(),
        deps.signingKey,
        run,
      )
    : { ...(await run()), replayed: false };

  if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
  if (result.status >= 400) setProblemHeaders(res, result.body as Problem);
  res.status(result.status).json(result.body);
}
