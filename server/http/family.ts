/**
 * The family module contract. A family is the set of operations carrying one tag of the
 * contract; its folder `server/<family>/` exports one {@link FamilyModule} from `index.ts`, and
 * `server/families.ts` lists them. `createApp` mounts what the modules declare; nothing else
 * names a family.
 */
import type { Router } from 'express';
import type { Executor } from '../db/index.ts';
import type { AppDeps, EventType, Links, Ports } from '../deps.ts';
import type { Job } from '../jobs.ts';
import type { EndpointOperationId, Handler, OperationHandlers, OperationId } from './operations.ts';

/**
 * Turns the domain object of an event (e.g. a payment row) into the event's `data.object`: the
 * resource exactly as the API returns it, also the body of the webhook. Parameter typed `never`
 * so that a serializer of any one domain type is accepted; the recorder passes the object the
 * family recorded.
 */
export type EventSerializer = (object: never, links: Links) => object;

/** An event as its subscribers see it, right after it was recorded. */
export interface RecordedEvent {
  /** `evt_…`. */
  id: string;
  merchantId: string;
  type: EventType;
  /** The domain object the recording family passed (its serializer's input). */
  object: unknown;
  /** Server time of the change. */
  at: Date;
}

/**
 * Reacts to an event inside the transaction that recorded it (e.g. checkout-sessions completes
 * the session of a succeeded payment; webhooks queue the deliveries). A throw rolls the change back.
 */
export type EventSubscriber = (db: Executor, event: RecordedEvent, deps: AppDeps) => Promise<void>;

/** What one family brings to the server. `K` is the union of its operationIds. */
export interface FamilyModule<K extends OperationId = never> {
  /** The contract tag of its operations (also its folder name). */
  tag: string;
  /** One handler per operation of the tag (checked by test/contract/families.test.ts). */
  handlers: { [O in K]: Handler<O> };
  /**
   * Server-rendered pages outside `/v1` (hosted checkout, 3-D Secure). Mounted before the JSON
   * body parser and the OpenAPI validator: they parse their own form bodies.
   */
  pages?: (deps: AppDeps) => Router;
  /**
   * The family's `x-endpoint` operations of the contract (OAuth: form-encoded requests, RFC 6749
   * errors, an HTML consent page), served by this router in their own formats instead of JSON
   * handlers. Mounted after the rate limits, before authorization, the JSON body parser and the
   * validator: the router parses and checks its own input. Its operationIds are listed in
   * `endpointOperations` (checked against the contract by test/contract/families.test.ts).
   */
  endpoints?: (deps: AppDeps) => Router;
  /** The operationIds `endpoints` serves (the contract's `x-endpoint` operations of the tag). */
  endpointOperations?: readonly EndpointOperationId[];
  /** Timed work (see `server/jobs.ts`). */
  jobs?: readonly Job[];
  /** Serializers of the event types this family records. Each type has exactly one owner. */
  eventSerializers?: Partial<Record<EventType, EventSerializer>>;
  /** Reactions to events of other families (`'*'`: every event), run in the recording transaction. */
  eventSubscribers?: Partial<Record<EventType | '*', EventSubscriber>>;
  /**
   * Ports this family implements for others (see `Ports` in `server/deps.ts`), or a function
   * making them from the app's dependencies (called once by `createDeps`, e.g. for a port that
   * needs the server secret).
   */
  provides?: Partial<Ports> | ((deps: AppDeps) => Partial<Ports>);
}

/** Declares a family module, inferring its operationIds from the handlers. */
export function defineFamily<K extends OperationId = never>(family: FamilyModule<K>): FamilyModule<K> {
  return family;
}

/** The operationIds a family module serves. */
export type FamilyOperations<F> = F extends { handlers: infer H } ? Extract<keyof H, OperationId> : never;

/** OperationIds served by two modules of the list `L` (never when there is none). */
export type DuplicateOperations<L extends readonly unknown[]> = L extends readonly [infer H, ...infer R]
  ? (FamilyOperations<H> & FamilyOperations<R[number]>) | DuplicateOperations<R>
  : never;

/**
 * Merges the handlers of every family into one map.
 * @throws Error when an operationId has two handlers or two families share a tag (a startup
 *   error; the same mistake is a compile error in `server/families.ts`).
 */
export function mergeHandlers<L extends readonly FamilyModule<never>[]>(families: L): { [K in FamilyOperations<L[number]>]: Handler<K> } {
  const merged: Record<string, unknown> = {};
  const tags = new Set<string>();
  for (const family of families) {
    if (tags.has(family.tag)) throw new Error(`Two families have the tag ${family.tag}`);
    tags.add(family.tag);
    for (const [operationId, handler] of Object.entries(family.handlers as Partial<OperationHandlers>)) {
      if (Object.hasOwn(merged, operationId)) throw new Error(`Two families handle ${operationId}`);
      merged[operationId] = handler;
    }
  }
  return merged as { [K in FamilyOperations<L[number]>]: Handler<K> };
}
