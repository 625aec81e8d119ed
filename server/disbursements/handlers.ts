/** Handlers of the disbursements family: request → use case → response (wire shapes made here). */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import { cancel, payQuote } from './payouts.ts';
import { getDisbursement, listDisbursements } from './queries.ts';
import { createQuote } from './quotes.ts';
import { toDisbursement, toQuote } from './resource.ts';

type DisbursementOps = 'createDisbursementQuote' | 'createDisbursement' | 'listDisbursements' | 'getDisbursement' | 'cancelDisbursement';

export const disbursementsHandlers: Pick<OperationHandlers, DisbursementOps> = {
  async createDisbursementQuote(ctx) {
    const quote = await createQuote(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.body);
    return { status: 201, body: toQuote(quote) };
  },

  async createDisbursement(ctx) {
    const auth = requireAuth(ctx);
    const d = await payQuote(ctx.db, ctx.deps, auth.merchantId, 'standard', ctx.body, auth.applicationId);
    return { status: 201, body: toDisbursement(d) };
  },

  async listDisbursements(ctx) {
    const rows = await listDisbursements(ctx.db, ctx.deps, requireAuth(ctx).merchantId, 'standard', ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toDisbursement) };
  },

  async getDisbursement(ctx) {
    const d = await getDisbursement(ctx.db, ctx.deps, requireAuth(ctx).merchantId, 'standard', ctx.params.disbursementId);
    return { status: 200, body: toDisbursement(d) };
  },

  async cancelDisbursement(ctx) {
    const d = await cancel(ctx.db, ctx.deps, requireAuth(ctx).merchantId, 'standard', ctx.params.disbursementId);
    return { status: 200, body: toDisbursement(d) };
  },
};
