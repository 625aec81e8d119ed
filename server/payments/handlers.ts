/** Handlers of the payments family: request → service → response. */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import { toPayment, toRefund } from './resource.ts';
import * as payments from './service.ts';

type PaymentOps = 'createPayment' | 'listPayments' | 'getPayment' | 'createRefund' | 'getPaymentInstructions' | 'getBalance';

export const paymentsHandlers: Pick<OperationHandlers, PaymentOps> = {
  async createPayment(ctx) {
    const payment = await payments.createPayment(ctx.deps, requireAuth(ctx).merchantId, ctx.body);
    return { status: 201, body: toPayment(payment, ctx.deps.config.publicBaseUrl) };
  },

  async listPayments(ctx) {
    const rows = await payments.listPayments(ctx.deps, requireAuth(ctx).merchantId, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, (row) => toPayment(row, ctx.deps.config.publicBaseUrl)) };
  },

  async getPayment(ctx) {
    const payment = await payments.getPayment(ctx.deps, requireAuth(ctx).merchantId, ctx.params.paymentId);
    return { status: 200, body: toPayment(payment, ctx.deps.config.publicBaseUrl) };
  },

  async createRefund(ctx) {
    const refund = await payments.createRefund(ctx.deps, requireAuth(ctx).merchantId, ctx.params.paymentId, ctx.body ?? {});
    return { status: 201, body: toRefund(refund) };
  },

  async getPaymentInstructions(ctx) {
    const auth = requireAuth(ctx);
    const payment = await payments.getPayment(ctx.deps, auth.merchantId, ctx.params.paymentId);
    return { status: 200, body: payments.instructionsFor(payment, auth.merchantName, ctx.deps.config.publicBaseUrl) };
  },

  async getBalance(ctx) {
    return { status: 200, body: await payments.getBalance(ctx.deps, requireAuth(ctx).merchantId) };
  },
};
