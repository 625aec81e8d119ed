/**
 * The outbox: every state change records one `evt_…` row in the same transaction as the change,
 * so an event exists if and only if the change committed. The event's `data.object` is the
 * resource as the API returns it, made by the serializer of the family that owns the event type;
 * then the subscribers run in that same transaction (webhooks queue one delivery per subscribed
 * endpoint: the fan-out; checkout-sessions completes the session of a succeeded payment).
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps, EventRecorder, EventType } from '../deps.ts';
import type { EventSerializer, EventSubscriber, FamilyModule, RecordedEvent } from '../http/family.ts';
import { newId } from '../ids.ts';
import { events } from './schema.ts';

export { events } from './schema.ts';
export type { EventType } from '../deps.ts';

/** A row of the event log. */
export type EventRow = typeof events.$inferSelect;

/**
 * Builds the recorder of the given families.
 * @param deps The dependencies handed to serializers (links) and subscribers, read on each event.
 * @throws Error when two families serialize the same event type.
 */
export function createEventRecorder(families: readonly FamilyModule<never>[], deps: () => AppDeps): EventRecorder {
  const serializers = new Map<string, EventSerializer>();
  const everyEvent: EventSubscriber[] = [];
  const byType = new Map<string, EventSubscriber[]>();
  for (const family of families) {
    for (const [type, serialize] of Object.entries(family.eventSerializers ?? {})) {
      if (serializers.has(type)) throw new Error(`Two families serialize ${type} events`);
      serializers.set(type, serialize);
    }
    for (const [type, subscriber] of Object.entries(family.eventSubscribers ?? {})) {
      if (type === '*') everyEvent.push(subscriber);
      else byType.set(type, [...(byType.get(type) ?? []), subscriber]);
    }
  }

  return {
    async record(db: Executor, merchantId: string, type: EventType, object: object, at: Date): Promise<string> {
      const serialize = serializers.get(type) as ((object: object, links: AppDeps['links']) => object) | undefined;
      if (!serialize) throw new Error(`No family serializes ${type} events`);
      const current = deps();
      const id = newId('evt');
      const data = { object: serialize(object, current.links) as Record<string, unknown> };
      await db.insert(events).values({ id, merchantId, type, data, createdAt: at });
      const event: RecordedEvent = { id, merchantId, type, object, at };
      // Every-event subscribers (the webhook fan-out) first, so deliveries keep the order of events.
      for (const subscriber of [...everyEvent, ...(byType.get(type) ?? [])]) await subscriber(db, event, current);
      return id;
    },
  };
}
