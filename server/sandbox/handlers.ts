/**
 * Handlers of the sandbox family: test helpers that exist only on sandbox servers (a live server
 * answers 404 on `/v1/sandbox/*` before routing; see app.ts).
 */
import { createMerchant } from '../auth/index.ts';
import { requireAuth, type OperationHandlers } from '../http/operations.ts';
import { advanceClock } from './service.ts';

export const sandboxHandlers: Pick<OperationHandlers, 'createSandboxMerchant' | 'advanceSandboxClock'> = {
  async createSandboxMerchant({ body, deps }) {
    const merchant = await createMerchant(deps, body?.name ?? 'Sandbox merchant');
    return { status: 201, body: { ...merchant, createdAt: merchant.createdAt.toISOString() } };
  },

  async advanceSandboxClock(ctx) {
    const clock = await advanceClock(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.body.seconds);
    return { status: 200, body: { now: clock.now.toISOString(), offsetSeconds: clock.offsetSeconds } };
  },
};
