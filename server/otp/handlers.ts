/** Handlers of the otp family: request → use case → response. */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { normaliseDestination, sendOtp } from './codes.ts';
import { toOtpChallenge } from './resource.ts';

export const otpHandlers: Pick<OperationHandlers, 'requestOtp'> = {
  async requestOtp(ctx) {
    const { deps } = ctx;
    const to = normaliseDestination(ctx.body);
    const challenge = await sendOtp(ctx.db, { serverSecret: deps.signingKey, mode: deps.config.mode }, requireAuth(ctx).merchantId, to, deps.now());
    return { status: 201, body: toOtpChallenge(challenge) };
  },
};
