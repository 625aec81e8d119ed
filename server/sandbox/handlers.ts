/** Handlers of the sandbox family: test helpers that exist only on sandbox servers. */
import { createMerchant } from '../auth/service.ts';
import { ProblemError } from '../errors/problem.ts';
import type { OperationHandlers } from '../http/operations.ts';

export const sandboxHandlers: Pick<OperationHandlers, 'createSandboxMerchant'> = {
  async createSandboxMerchant({ body, deps }) {
    if (deps.config.mode !== 'sandbox') throw new ProblemError('not_found', 'Sandbox routes do not exist on a live server.');
    const merchant = await createMerchant(deps, body?.name ?? 'Sandbox merchant');
    return { status: 201, body: { ...merchant, createdAt: merchant.createdAt.toISOString() } };
  },
};
