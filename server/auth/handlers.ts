/** Handlers of the auth family: createAccessToken, rotateApiKey. */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { issueAccessToken, rotateApiKey } from './service.ts';

export const authHandlers: Pick<OperationHandlers, 'createAccessToken' | 'rotateApiKey'> = {
  async createAccessToken({ body, deps }) {
    const token = await issueAccessToken(deps, body.apiKey, body.apiSecret);
    return { status: 200, body: { ...token, tokenType: 'Bearer' } };
  },

  async rotateApiKey(ctx) {
    const rotated = await rotateApiKey(ctx.deps, requireAuth(ctx), ctx.body?.gracePeriodSeconds ?? 0);
    return {
      status: 201,
      body: {
        apiKey: rotated.apiKey,
        keyPrefix: rotated.keyPrefix,
        createdAt: rotated.createdAt.toISOString(),
        previousKeyExpiresAt: rotated.previousKeyExpiresAt.toISOString(),
      },
    };
  },
};
