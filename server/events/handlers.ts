/** Handlers of the events family: request → service → response. */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import { toWebhookDelivery } from '../webhooks/resource.ts';
import { toEvent } from './resource.ts';
import * as events from './service.ts';

type EventOps = 'listEvents' | 'getEvent' | 'redeliverEvent';

export const eventsHandlers: Pick<OperationHandlers, EventOps> = {
  async listEvents(ctx) {
    const rows = await events.listEvents(ctx.deps, requireAuth(ctx).merchantId, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toEvent) };
  },

  async getEvent(ctx) {
    return { status: 200, body: toEvent(await events.getEvent(ctx.deps, requireAuth(ctx).merchantId, ctx.params.eventId)) };
  },

  async redeliverEvent(ctx) {
    const { deliveries, attempts } = await events.redeliverEvent(ctx.deps, requireAuth(ctx).merchantId, ctx.params.eventId, ctx.body?.endpointId);
    ctx.deps.wakeWebhookWorker?.();
    return { status: 202, body: { data: deliveries.map((d) => toWebhookDelivery(d, attempts.get(d.id) ?? [])) } };
  },
};
