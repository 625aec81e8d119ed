/**
 * Sandbox helpers for payer identity: the read-back of one-time codes (the sandbox sends none)
 * and, next, test payers with wallets. Spread into the sandbox family's handlers.
 */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { sandboxOtp } from '../otp/index.ts';

export const payerSandboxHandlers: Pick<OperationHandlers, 'getSandboxOtp'> = {
  async getSandboxOtp(ctx) {
    return { status: 200, body: await sandboxOtp(ctx.db, requireAuth(ctx).merchantId, ctx.query, ctx.deps.realNow()) };
  },
};
