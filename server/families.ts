/**
 * The families of the server, one module per contract tag (`server/<family>/index.ts`). Adding a
 * family: write its folder, then list its module here. The order is the order of their pages and
 * event subscribers.
 */
import { applications } from './applications/index.ts';
import { auth } from './auth/index.ts';
import { checkoutSessions } from './checkout-sessions/index.ts';
import { disbursements } from './disbursements/index.ts';
import { escrows } from './escrows/index.ts';
import { events } from './events/index.ts';
import { geo } from './geo/index.ts';
import type { DuplicateOperations } from './http/family.ts';
import { oauth } from './oauth/index.ts';
import { otp } from './otp/index.ts';
import { payments } from './payments/index.ts';
import { sandbox } from './sandbox/index.ts';
import { stores } from './stores/index.ts';
import { tax } from './tax/index.ts';
import { webhooks } from './webhooks/index.ts';

/** Every family module. */
export const families = [auth, applications, checkoutSessions, payments, sandbox, webhooks, events, geo, tax, otp, oauth, escrows, disbursements, stores] as const;

/**
 * Compile-time proof that no operationId is handled by two families: on a duplicate, this line
 * fails to compile and names the operationId. (That every operationId has a handler is proven
 * where the handlers are merged, in `server/app.ts`.)
 */
export const noDuplicateOperations: [DuplicateOperations<typeof families>] extends [never] ? true : { duplicated: DuplicateOperations<typeof families> } = true;
