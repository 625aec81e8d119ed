/**
 * Every Drizzle table of the server, re-exported from the folder that owns it, for Drizzle's
 * typed `schema` (see `./index.ts`). Tables are defined next to their family or mechanism
 * (`server/<family>/schema.ts`); migrations in `./migrations` are produced from them by
 * `npm run db:generate` (drizzle-kit, offline) and applied at start-up.
 *
 * Money columns are `bigint` minor units read as JS numbers (`./columns.ts`).
 */
export * from '../merchants/schema.ts';
export * from '../auth/schema.ts';
export * from '../applications/schema.ts';
export * from '../checkout-sessions/schema.ts';
export * from '../payments/schema.ts';
export * from '../ledger/schema.ts';
export * from '../outbox/schema.ts';
export * from '../webhooks/schema.ts';
export * from '../idempotency/schema.ts';
export * from '../settings/schema.ts';
export * from '../stores/schema.ts';
export * from '../clock/schema.ts';
export * from '../escrows/schema.ts';
export * from '../disbursements/schema.ts';
export * from '../otp/schema.ts';
export * from '../oauth/schema.ts';
