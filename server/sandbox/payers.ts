/**
 * Sandbox helpers for payer identity: test payers with wallets (`createSandboxPayer`) and the
 * read-back of one-time codes (`getSandboxOtp`; the sandbox sends none). Spread into the sandbox
 * family's handlers.
 */
import type { components } from '../../generated/schema.d.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { createPayer } from '../oauth/index.ts';
import { normaliseDestination, sandboxOtp } from '../otp/index.ts';
import { fundSandboxWallet, walletBalances } from '../payments/index.ts';

type CreateSandboxPayerRequest = components['schemas']['CreateSandboxPayerRequest'];
type SandboxPayer = components['schemas']['SandboxPayer'];

/**
 * createSandboxPayer: registers the payer and credits its opening balances, in one transaction.
 * @throws ProblemError 400 (invalid phone number, unknown or repeated currency), 409 `payer_email_taken`.
 */
export async function createSandboxPayer(db: Executor, deps: AppDeps, merchantId: string, input: CreateSandboxPayerRequest): Promise<SandboxPayer> {
  const now = deps.now();
  const { phoneNumber } = normaliseDestination({ phoneNumber: input.phoneNumber });
  return db.transaction(async (tx) => {
    const payer = await createPayer(tx, merchantId, { name: input.name, email: input.email, phoneNumber }, now);
    await fundSandboxWallet(tx, merchantId, payer.id, input.balances ?? [], now);
    return {
      id: payer.id,
      name: payer.name,
      email: payer.email,
      phoneNumber: payer.phoneNumber,
      wallet: await walletBalances(tx, payer.id),
      createdAt: payer.createdAt.toISOString(),
    };
  });
}

export const payerSandboxHandlers: Pick<OperationHandlers, 'getSandboxOtp' | 'createSandboxPayer'> = {
  async getSandboxOtp(ctx) {
    return { status: 200, body: await sandboxOtp(ctx.db, requireAuth(ctx).merchantId, ctx.query, ctx.deps.now()) };
  },

  async createSandboxPayer(ctx) {
    return { status: 201, body: await createSandboxPayer(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.body) };
  },
};
