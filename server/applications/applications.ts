/**
 * Applications of a merchant: create, list, read, update; the default application made with
 * the merchant.
 *
 * Sources: createApplication, listApplications, getApplication, updateApplication.
 */
import type { components } from '../../generated/schema.d.ts';
import { generateClientId } from '../auth/index.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { invalidField, notFound } from '../errors/problem.ts';
import type { ListQuery } from '../http/pagination.ts';
import { assertStorableText } from '../http/text.ts';
import { newId } from '../ids.ts';
import * as repo from './repository.ts';
import type { ApplicationRow } from './repository.ts';

type CreateApplicationRequest = components['schemas']['CreateApplicationRequest'];
type UpdateApplicationRequest = components['schemas']['UpdateApplicationRequest'];

/** Name of the application every merchant gets at creation. */
export const DEFAULT_APPLICATION_NAME = 'Default application';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Checks OAuth redirect URIs: absolute `https://` URLs without a fragment; `http://` only for a
 * loopback host on a sandbox server.
 * @throws ProblemError 400 `invalid_request` pointing at the offending item.
 */
export function assertRedirectUris(uris: readonly string[], live: boolean): void {
  uris.forEach((value, i) => {
    const pointer = `/redirectUris/${i}`;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw invalidField(pointer, 'must be an absolute https URL');
    }
    if (url.hash) throw invalidField(pointer, 'must not have a fragment');
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && !live && LOOPBACK_HOSTS.has(url.hostname)) return;
    throw invalidField(pointer, live ? 'must be an https URL' : 'must be an https URL (http only for localhost, 127.0.0.1 or [::1] in the sandbox)');
  });
}

/** createApplication: a new application with a fresh client id. */
export async function createApplication(db: Executor, deps: AppDeps, merchantId: string, input: CreateApplicationRequest): Promise<ApplicationRow> {
  assertStorableText(input);
  const redirectUris = input.redirectUris ?? [];
  assertRedirectUris(redirectUris, deps.config.mode === 'live');
  const now = deps.now(merchantId);
  return repo.insertApplication(db, {
    id: newId('app'),
    merchantId,
    clientId: generateClientId(),
    name: input.name,
    description: input.description ?? null,
    redirectUris,
    isDefault: false,
    createdAt: now,
    updatedAt: now,
  });
}

/** The default application of a new merchant (in the merchant's transaction). */
export async function createDefaultApplication(db: Executor, merchantId: string, clientId: string, now: Date): Promise<void> {
  await repo.insertApplication(db, {
    id: newId('app'),
    merchantId,
    clientId,
    name: DEFAULT_APPLICATION_NAME,
    description: null,
    redirectUris: [],
    isDefault: true,
    createdAt: now,
    updatedAt: now,
  });
}

/**
 * getApplication: one application of the merchant.
 * @throws ProblemError 404 `not_found` for an unknown id or another merchant's application.
 */
export async function getApplication(db: Executor, merchantId: string, applicationId: string): Promise<ApplicationRow> {
  const row = await repo.findApplication(db, merchantId, applicationId);
  if (!row) throw notFound('application', applicationId);
  return row;
}

/** listApplications: newest first. */
export function listApplications(db: Executor, merchantId: string, query: ListQuery): Promise<ApplicationRow[]> {
  return repo.listApplications(db, merchantId, query);
}

/**
 * updateApplication: changes name, description or redirect URIs.
 * @throws ProblemError 404 `not_found`, 400 `invalid_request` for a bad redirect URI.
 */
export async function updateApplication(
  db: Executor,
  deps: AppDeps,
  merchantId: string,
  applicationId: string,
  input: UpdateApplicationRequest,
): Promise<ApplicationRow> {
  assertStorableText(input);
  const app = await getApplication(db, merchantId, applicationId);
  if (input.redirectUris) assertRedirectUris(input.redirectUris, deps.config.mode === 'live');
  return repo.updateApplication(db, app.id, {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.redirectUris !== undefined ? { redirectUris: input.redirectUris } : {}),
    updatedAt: deps.now(merchantId),
  });
}
