/** Handlers of the applications family: request → use case → response. */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import * as apps from './applications.ts';
import * as secrets from './client-secrets.ts';
import { toApplication, toClientToken } from './resource.ts';
import * as tokens from './tokens.ts';

type ApplicationOps =
  | 'createApplication'
  | 'listApplications'
  | 'getApplication'
  | 'updateApplication'
  | 'createClientToken'
  | 'listClientTokens'
  | 'revokeClientToken'
  | 'createClientSecret';

export const applicationsHandlers: Pick<OperationHandlers, ApplicationOps> = {
  async createApplication(ctx) {
    const app = await apps.createApplication(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.body);
    return { status: 201, body: toApplication(app) };
  },

  async listApplications(ctx) {
    const rows = await apps.listApplications(ctx.db, requireAuth(ctx).merchantId, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toApplication) };
  },

  async getApplication(ctx) {
    return { status: 200, body: toApplication(await apps.getApplication(ctx.db, requireAuth(ctx).merchantId, ctx.params.applicationId)) };
  },

  async updateApplication(ctx) {
    const app = await apps.updateApplication(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.applicationId, ctx.body);
    return { status: 200, body: toApplication(app) };
  },

  async createClientToken(ctx) {
    const { row, token } = await tokens.createClientToken(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.applicationId, ctx.body);
    return { status: 201, body: { ...toClientToken(row), token } };
  },

  async listClientTokens(ctx) {
    const rows = await tokens.listClientTokens(ctx.db, requireAuth(ctx).merchantId, ctx.params.applicationId, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toClientToken) };
  },

  async createClientSecret(ctx) {
    const { application, clientSecret, createdAt } = await secrets.createClientSecret(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.applicationId);
    return { status: 201, body: { applicationId: application.id, clientId: application.clientId, clientSecret, createdAt: createdAt.toISOString() } };
  },

  async revokeClientToken(ctx) {
    const row = await tokens.revokeClientToken(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.applicationId, ctx.params.tokenId);
    return { status: 200, body: toClientToken(row) };
  },
};
