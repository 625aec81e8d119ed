/**
 * The webhooks family: endpoints (create, read, change, delete, rotate the secret), their
 * deliveries, the fan-out of every event to the subscribed endpoints, and the delivery job.
 * Other families reach webhooks only through this file.
 */
import { defineFamily } from '../http/family.ts';
import { queueDeliveries } from './fan-out.ts';
import { webhooksHandlers } from './handlers.ts';
import { runDeliveryRounds } from './worker.ts';

export { redeliver } from './fan-out.ts';
export { toWebhookDelivery } from './resource.ts';
export { deliverDueWebhooks } from './worker.ts';

/** Name of the delivery job (woken after a redelivery). */
export const WEBHOOK_DELIVERY_JOB = 'webhooks.deliveries';

/** The webhooks family module. */
export const webhooks = defineFamily({
  tag: 'webhooks',
  handlers: webhooksHandlers,
  eventSubscribers: { '*': queueDeliveries },
  jobs: [
    {
      name: WEBHOOK_DELIVERY_JOB,
      intervalMs: 1000,
      // Tests drive deliveries by hand: a clock advance only wakes a scheduled delivery job.
      onRunAll: 'wake',
      run: (deps, signal) => runDeliveryRounds(deps, signal),
    },
  ],
});
