/** Sandbox helper of the stores family: a simulated chargeback of an order (disputeOrder). */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { disputeOrder, toOrder } from '../stores/index.ts';

export const sandboxOrderHandlers: Pick<OperationHandlers, 'disputeOrder'> = {
  async disputeOrder(ctx) {
    const detail = await disputeOrder(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.orderId);
    return { status: 200, body: toOrder(detail) };
  },
};
