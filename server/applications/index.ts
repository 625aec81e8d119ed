/**
 * The applications family: applications with a public client id, and their scoped client
 * tokens. Provides auth with the `applications` port (client token verification, default
 * applications, client id look-ups). Other families reach it only through this file.
 */
import type { ApplicationsPort } from '../auth/index.ts';
import { defineFamily } from '../http/family.ts';
import { createDefaultApplication } from './applications.ts';
import { applicationsHandlers } from './handlers.ts';
import * as repo from './repository.ts';
import { createUsageRecorder, verifyClientToken } from './tokens.ts';

const port: ApplicationsPort = {
  verifyClientToken,
  tokenUsed: createUsageRecorder(),
  createDefaultApplication,
  defaultClientId: async (db, merchantId) => (await repo.findDefaultApplication(db, merchantId))?.clientId,
  applicationOfClientId: async (db, merchantId, clientId) => (await repo.findApplicationByClientId(db, merchantId, clientId))?.id,
};

export { oauthClient, type OAuthClient } from './client-secrets.ts';

/** The applications family module. */
export const applications = defineFamily({ tag: 'applications', handlers: applicationsHandlers, provides: { applications: port } });
