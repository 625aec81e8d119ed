/** Rows → contract shapes of the applications family. */
import type { components } from '../../generated/schema.d.ts';
import type { ApplicationRow, ClientTokenRow } from './repository.ts';

type Application = components['schemas']['Application'];
type ClientToken = components['schemas']['ClientToken'];
type Scope = components['schemas']['Scope'];

export function toApplication(row: ApplicationRow): Application {
  return {
    id: row.id,
    clientId: row.clientId,
    name: row.name,
    description: row.description,
    redirectUris: row.redirectUris,
    isDefault: row.isDefault,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** A client token as listed: never the token itself. */
export function toClientToken(row: ClientTokenRow): ClientToken {
  return {
    id: row.id,
    applicationId: row.applicationId,
    label: row.label,
    scopes: row.scopes as Scope[],
    prefix: row.prefix,
    last4: row.last4,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
