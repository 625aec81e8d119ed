/** Handlers of the checkout-sessions family: request → use case → response (wire shapes made here). */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import { toCheckoutSession } from './resource.ts';
import * as sessions from './service.ts';

type SessionOps = 'createCheckoutSession' | 'listCheckoutSessions' | 'getCheckoutSession' | 'expireCheckoutSession';

export const checkoutSessionsHandlers: Pick<OperationHandlers, SessionOps> = {
  async createCheckoutSession(ctx) {
    const auth = requireAuth(ctx);
    const session = await sessions.createSession(ctx.db, ctx.deps, auth.merchantId, ctx.body, auth.applicationId);
    return { status: 201, body: toCheckoutSession(session, ctx.deps.links) };
  },

  async listCheckoutSessions(ctx) {
    const rows = await sessions.listSessions(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, (row) => toCheckoutSession(row, ctx.deps.links)) };
  },

  async getCheckoutSession(ctx) {
    const session = await sessions.getSession(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.sessionId);
    return { status: 200, body: toCheckoutSession(session, ctx.deps.links) };
  },

  async expireCheckoutSession(ctx) {
    const session = await sessions.expireSession(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.sessionId);
    return { status: 200, body: toCheckoutSession(session, ctx.deps.links) };
  },
};
