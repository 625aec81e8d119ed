/** Handlers of the webhooks family (endpoints and their deliveries): request → service → response. */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import { toWebhookDelivery, toWebhookEndpoint, toWebhookEndpointWithSecret } from './resource.ts';
import * as webhooks from './service.ts';

type WebhookOps =
  | 'createWebhookEndpoint'
  | 'listWebhookEndpoints'
  | 'getWebhookEndpoint'
  | 'updateWebhookEndpoint'
  | 'deleteWebhookEndpoint'
  | 'rotateWebhookEndpointSecret'
  | 'listWebhookDeliveries';

export const webhooksHandlers: Pick<OperationHandlers, WebhookOps> = {
  async createWebhookEndpoint(ctx) {
    const endpoint = await webhooks.createEndpoint(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.body);
    return { status: 201, body: toWebhookEndpointWithSecret(endpoint, ctx.now()) };
  },

  async listWebhookEndpoints(ctx) {
    const rows = await webhooks.listEndpoints(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.query);
    const now = ctx.now();
    return { status: 200, body: toPage(rows, ctx.query, (row) => toWebhookEndpoint(row, now)) };
  },

  async getWebhookEndpoint(ctx) {
    const endpoint = await webhooks.getEndpoint(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.endpointId);
    return { status: 200, body: toWebhookEndpoint(endpoint, ctx.now()) };
  },

  async updateWebhookEndpoint(ctx) {
    const endpoint = await webhooks.updateEndpoint(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.endpointId, ctx.body);
    return { status: 200, body: toWebhookEndpoint(endpoint, ctx.now()) };
  },

  async deleteWebhookEndpoint(ctx) {
    await webhooks.deleteEndpoint(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.endpointId);
    return { status: 200, body: { id: ctx.params.endpointId, deleted: true } };
  },

  async rotateWebhookEndpointSecret(ctx) {
    const overlap = ctx.body?.overlapSeconds ?? webhooks.DEFAULT_OVERLAP_SECONDS;
    const endpoint = await webhooks.rotateSecret(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.endpointId, overlap);
    return { status: 201, body: toWebhookEndpointWithSecret(endpoint, ctx.now()) };
  },

  async listWebhookDeliveries(ctx) {
    const { deliveries, attempts } = await webhooks.listDeliveries(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.endpointId, ctx.query);
    return { status: 200, body: toPage(deliveries, ctx.query, (row) => toWebhookDelivery(row, attempts.get(row.id) ?? [])) };
  },
};
