/**
 * Handlers of the escrow-disbursements (escrows family): a quoted payout held until released.
 * The money and recipient rules are the disbursements family's (`kind: 'escrow'`), reached
 * through its index.
 */
import { cancel, getDisbursement, listDisbursements, payQuote, release, toEscrowDisbursement } from '../../disbursements/index.ts';
import type { OperationHandlers } from '../../http/operations.ts';
import { requireAuth } from '../../http/operations.ts';
import { toPage } from '../../http/pagination.ts';

type EscrowDisbursementOps =
  | 'createEscrowDisbursement'
  | 'listEscrowDisbursements'
  | 'getEscrowDisbursement'
  | 'releaseEscrowDisbursement'
  | 'cancelEscrowDisbursement';

export const escrowDisbursementHandlers: Pick<OperationHandlers, EscrowDisbursementOps> = {
  async createEscrowDisbursement(ctx) {
    const auth = requireAuth(ctx);
    const d = await payQuote(ctx.db, ctx.deps, auth.merchantId, 'escrow', ctx.body, auth.applicationId);
    return { status: 201, body: toEscrowDisbursement(d) };
  },

  async listEscrowDisbursements(ctx) {
    const rows = await listDisbursements(ctx.db, ctx.deps, requireAuth(ctx).merchantId, 'escrow', ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toEscrowDisbursement) };
  },

  async getEscrowDisbursement(ctx) {
    const d = await getDisbursement(ctx.db, ctx.deps, requireAuth(ctx).merchantId, 'escrow', ctx.params.disbursementId);
    return { status: 200, body: toEscrowDisbursement(d) };
  },

  async releaseEscrowDisbursement(ctx) {
    const d = await release(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.disbursementId);
    return { status: 200, body: toEscrowDisbursement(d) };
  },

  async cancelEscrowDisbursement(ctx) {
    const d = await cancel(ctx.db, ctx.deps, requireAuth(ctx).merchantId, 'escrow', ctx.params.disbursementId);
    return { status: 200, body: toEscrowDisbursement(d) };
  },
};
