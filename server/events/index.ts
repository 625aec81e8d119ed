/**
 * The events family: the event log API (list, read, redeliver). Events themselves are recorded
 * through the outbox (`deps.events`, server/outbox), serialized by the family owning each type.
 */
import { defineFamily } from '../http/family.ts';
import { eventsHandlers } from './handlers.ts';

/** The events family module. */
export const events = defineFamily({ tag: 'events', handlers: eventsHandlers });
