/** Handlers of the payments family: request → use case → response (wire shapes made here). */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import { getBalance } from './balance.ts';
import { createPayment } from './charge.ts';
import { toPaymentInstructions } from './instructions.ts';
import { getPayment, listPayments } from './queries.ts';
import { createRefund } from './refunds.ts';
import { toPayment, toRefund } from './resource.ts';
import { getWallet } from './wallets.ts';
import { requirePayer } from '../oauth/index.ts';

type PaymentOps = 'createPayment' | 'listPayments' | 'getPayment' | 'createRefund' | 'getPaymentInstructions' | 'getBalance' | 'getWallet';

export const paymentsHandlers: Pick<OperationHandlers, PaymentOps> = {
  async createPayment(ctx) {
    const auth = requireAuth(ctx);
    // A wallet payment acts for the payer of X-Payer-Token, who must have granted wallet.pay.
    const payerUserId = ctx.body.paymentMethod.type === 'wallet' ? requirePayer(ctx, 'wallet.pay').userId : undefined;
    const payment = await createPayment(ctx.db, ctx.deps, auth.merchantId, { ...ctx.body, applicationId: auth.applicationId, payerUserId });
    return { status: 201, body: toPayment(payment, ctx.deps.links) };
  },

  async listPayments(ctx) {
    const rows = await listPayments(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, (row) => toPayment(row, ctx.deps.links)) };
  },

  async getPayment(ctx) {
    const payment = await getPayment(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.paymentId);
    return { status: 200, body: toPayment(payment, ctx.deps.links) };
  },

  async createRefund(ctx) {
    const refund = await createRefund(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.paymentId, ctx.body ?? {});
    return { status: 201, body: toRefund(refund) };
  },

  async getPaymentInstructions(ctx) {
    const auth = requireAuth(ctx);
    const payment = await getPayment(ctx.db, ctx.deps, auth.merchantId, ctx.params.paymentId);
    return { status: 200, body: toPaymentInstructions(payment, auth.merchantName, ctx.deps.links) };
  },

  async getBalance(ctx) {
    return { status: 200, body: await getBalance(ctx.db, ctx.deps, requireAuth(ctx).merchantId) };
  },

  async getWallet(ctx) {
    requireAuth(ctx);
    return { status: 200, body: await getWallet(ctx.db, ctx.deps, requirePayer(ctx, 'wallet.read').userId) };
  },
};
