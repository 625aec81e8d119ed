/** Handlers of the auth family: createAccessToken, rotateApiKey, listApiKeys, createApiKey, revokeApiKey, rotateApiSecret. */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import { createApiKey, issueAccessToken, listApiKeys, revokeApiKey, rotateApiKey, rotateApiSecret, type ApiKeySummary } from './service.ts';

type AuthOps = 'createAccessToken' | 'rotateApiKey' | 'listApiKeys' | 'createApiKey' | 'revokeApiKey' | 'rotateApiSecret';

/** Wire shape of an API key (`ApiKey`): no key, only its id, prefix and dates. */
function toApiKey(key: ApiKeySummary) {
  return { id: key.id, keyPrefix: key.keyPrefix, createdAt: key.createdAt.toISOString(), expiresAt: key.expiresAt?.toISOString() ?? null };
}

export const authHandlers: Pick<OperationHandlers, AuthOps> = {
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

  async listApiKeys(ctx) {
    const rows = await listApiKeys(ctx.deps, requireAuth(ctx), ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toApiKey) };
  },

  async createApiKey(ctx) {
    const created = await createApiKey(ctx.deps, requireAuth(ctx));
    return { status: 201, body: { id: created.id, apiKey: created.apiKey, keyPrefix: created.keyPrefix, createdAt: created.createdAt.toISOString() } };
  },

  async revokeApiKey(ctx) {
    const revoked = await revokeApiKey(ctx.deps, requireAuth(ctx), ctx.params.apiKeyId);
    return { status: 200, body: toApiKey(revoked) };
  },

  async rotateApiSecret(ctx) {
    const rotated = await rotateApiSecret(ctx.deps, requireAuth(ctx));
    return { status: 201, body: { apiSecret: rotated.apiSecret, createdAt: rotated.createdAt.toISOString() } };
  },
};
