/** The `checkout.session.*` events: their `data.object` is the session as getCheckoutSession returns it. */
import type { Links } from '../deps.ts';
import type { FamilyModule } from '../http/family.ts';
import type { SessionRow } from './repository.ts';
import { toCheckoutSession } from './resource.ts';

const session = (row: SessionRow, links: Links) => toCheckoutSession(row, links);

/** Serializers of the event types the checkout-sessions family records. */
export const checkoutSessionEventSerializers: NonNullable<FamilyModule['eventSerializers']> = {
  'checkout.session.created': session,
  'checkout.session.completed': session,
  'checkout.session.expired': session,
};
