/**
 * Sandbox escrow helpers: the dispute desk's decision on a disputed escrow (release, refund, or
 * an exact split). Source: resolveSandboxEscrowDispute.
 */
import { resolveDispute, toEscrow } from '../escrows/index.ts';
import { requireAuth, type OperationHandlers } from '../http/operations.ts';

export const sandboxEscrowHandlers: Pick<OperationHandlers, 'resolveSandboxEscrowDispute'> = {
  async resolveSandboxEscrowDispute(ctx) {
    const escrow = await resolveDispute(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.escrowId, ctx.body);
    return { status: 200, body: toEscrow(escrow) };
  },
};
