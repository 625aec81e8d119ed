/** Maps stored rows to the contract's `WebhookEndpoint` and `WebhookDelivery` shapes. */
import type { components } from '../../generated/schema.d.ts';
import type { AttemptRow, DeliveryRow, EndpointRow } from './repository.ts';

export type WebhookEndpoint = components['schemas']['WebhookEndpoint'];
export type WebhookEndpointWithSecret = components['schemas']['WebhookEndpointWithSecret'];
export type WebhookDelivery = components['schemas']['WebhookDelivery'];
type EventFilter = components['schemas']['WebhookEventFilter'];
type EventType = components['schemas']['EventType'];

/**
 * The API representation of an endpoint row, without its secret. `previousSecretExpiresAt` is
 * shown only while the previous secret still signs, i.e. while it is after `now`.
 */
export function toWebhookEndpoint(row: EndpointRow, now: Date): WebhookEndpoint {
  const overlap = row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now ? row.previousSecretExpiresAt : null;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as EventFilter,
    disabled: row.disabledReason !== null,
    disabledReason: row.disabledReason,
    previousSecretExpiresAt: overlap?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The endpoint with its current secret: only for createWebhookEndpoint and rotateWebhookEndpointSecret. */
export function toWebhookEndpointWithSecret(row: EndpointRow, now: Date): WebhookEndpointWithSecret {
  return { ...toWebhookEndpoint(row, now), secret: row.secret };
}

/** The API representation of a delivery with its attempts (oldest first). */
export function toWebhookDelivery(row: DeliveryRow, attempts: AttemptRow[]): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpointId,
    eventId: row.eventId,
    eventType: row.eventType as EventType,
    status: row.status,
    attemptCount: row.attemptCount,
    nextAttemptAt: row.status === 'pending' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    attempts: attempts.map((a) => ({
      attemptedAt: a.attemptedAt.toISOString(),
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      error: a.error,
      nextRetryAt: a.nextRetryAt?.toISOString() ?? null,
    })),
  };
}
