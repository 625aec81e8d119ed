/** Handlers of the escrows family: request → use case → response (wire shapes made here). */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import { requirePayer } from '../oauth/index.ts';
import { createEscrow } from './create.ts';
import { getEscrow, listEscrows } from './queries.ts';
import { toEscrow } from './resource.ts';
import { cancelEscrow, disputeEscrow, releaseEscrow } from './transitions.ts';

type EscrowOps = 'createEscrow' | 'listEscrows' | 'getEscrow' | 'releaseEscrow' | 'cancelEscrow' | 'disputeEscrow';

export const escrowsHandlers: Pick<OperationHandlers, EscrowOps> = {
  async createEscrow(ctx) {
    const auth = requireAuth(ctx);
    const caller = { merchantId: auth.merchantId, applicationId: auth.applicationId, payer: () => requirePayer(ctx, 'wallet.pay') };
    const escrow = await createEscrow(ctx.db, ctx.deps, caller, ctx.body);
    return { status: 201, body: toEscrow(escrow) };
  },

  async listEscrows(ctx) {
    const rows = await listEscrows(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toEscrow) };
  },

  async getEscrow(ctx) {
    return { status: 200, body: toEscrow(await getEscrow(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.escrowId)) };
  },

  async releaseEscrow(ctx) {
    // With a payer token, the payer who funded the escrow confirms delivery.
    const payer = ctx.payer ? requirePayer(ctx, 'wallet.pay') : null;
    return { status: 200, body: toEscrow(await releaseEscrow(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.escrowId, payer?.userId)) };
  },

  async cancelEscrow(ctx) {
    return { status: 200, body: toEscrow(await cancelEscrow(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.escrowId, ctx.body ?? {})) };
  },

  async disputeEscrow(ctx) {
    return { status: 200, body: toEscrow(await disputeEscrow(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.escrowId, ctx.body)) };
  },
};
