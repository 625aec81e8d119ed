/** Handlers of the events family: request → use case → response (wire shapes made here). */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import { WEBHOOK_DELIVERY_JOB, toWebhookDelivery } from '../webhooks/index.ts';
import { toEvent } from './resource.ts';
import * as events from './service.ts';

type EventOps = 'listEvents' | 'getEvent' | 'redeliverEvent';

export const eventsHandlers: Pick<OperationHandlers, EventOps> = {
  async listEvents(ctx) {
    const rows = await events.listEvents(ctx.db, requireAuth(ctx).merchantId, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toEvent) };
  },

  async getEvent(ctx) {
    return { status: 200, body: toEvent(await events.getEvent(ctx.db, requireAuth(ctx).merchantId, ctx.params.eventId)) };
  },

  async redeliverEvent(ctx) {
    const { deliveries, attempts } = await events.redeliverEvent(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.eventId, ctx.body?.endpointId);
    ctx.deps.jobs.wake(WEBHOOK_DELIVERY_JOB);
    return { status: 202, body: { data: deliveries.map((d) => toWebhookDelivery(d, attempts.get(d.id) ?? [])) } };
  },
};
