/** Fixtures of the applications family's tests: applications, client tokens and clients using them. */
import createClient, { type Client } from 'openapi-fetch';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import type { components, paths } from '../../generated/schema.d.ts';
import type { TestServer } from '../support/server.ts';

export type Scope = components['schemas']['Scope'];
export type Application = components['schemas']['Application'];
export type CreatedClientToken = components['schemas']['CreatedClientToken'];

/** A new application of the merchant behind `client`. */
export async function createApplication(client: TillpointClient, name = 'Web shop'): Promise<Application> {
  return unwrap(await client.POST('/v1/applications', { body: { name } }));
}

/** A new client token of `applicationId` with `scopes`. */
export async function createToken(
  client: TillpointClient,
  applicationId: string,
  scopes: Scope[],
  options: { expiresIn?: number; label?: string } = {},
): Promise<CreatedClientToken> {
  return unwrap(
    await client.POST('/v1/applications/{applicationId}/tokens', {
      params: { path: { applicationId } },
      body: { label: options.label ?? 'test token', scopes, ...(options.expiresIn !== undefined ? { expiresIn: options.expiresIn } : {}) },
    }),
  );
}

/** A typed client sending `Authorization: Bearer <token>` (no retries, no other credential). */
export function tokenClient(s: TestServer, token: string): Client<paths> {
  return createClient<paths>({ baseUrl: s.url, headers: { authorization: `Bearer ${token}` } });
}

/** A merchant with a fresh application and a client token of it with `scopes`. */
export async function merchantWithToken(s: TestServer, scopes: Scope[], options: { expiresIn?: number } = {}) {
  const { merchant, client } = await s.newMerchant();
  const application = await createApplication(client);
  const created = await createToken(client, application.id, scopes, options);
  return { merchant, client, application, created, token: created.token, viaToken: tokenClient(s, created.token) };
}
