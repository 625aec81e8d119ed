/**
 * Registered payers (`usr_…`): created by the sandbox (`createSandboxPayer`); signed in on the
 * consent page by email and one-time code.
 */
import type { Executor } from '../db/index.ts';
import { ProblemError } from '../errors/problem.ts';
import { newId } from '../ids.ts';
import * as repo from './repository.ts';
import type { PayerRow } from './repository.ts';

/** A new payer's details (email any case; phone number E.164, already checked). */
export interface NewPayer {
  name: string;
  email: string;
  phoneNumber?: string;
}

/**
 * Registers a payer of the merchant's sandbox in `db` (the caller's transaction).
 * @throws ProblemError 409 `payer_email_taken` when the merchant has a payer with this email.
 */
export async function createPayer(db: Executor, merchantId: string, input: NewPayer, now: Date): Promise<PayerRow> {
  const email = input.email.toLowerCase();
  const created = await repo.insertPayer(db, { id: newId('usr'), merchantId, name: input.name, email, phoneNumber: input.phoneNumber ?? null, createdAt: now });
  if (!created) throw new ProblemError('payer_email_taken', `You already have a test payer with the email ${email}.`, [{ pointer: '/email', detail: 'is already a test payer of yours' }]);
  return created;
}

/** The payer `userId`, if it exists (and, with `merchantId`, belongs to that merchant's sandbox). */
export async function findPayer(db: Executor, userId: string, merchantId?: string): Promise<PayerRow | undefined> {
  const payer = await repo.findPayer(db, userId);
  return payer && (merchantId === undefined || payer.merchantId === merchantId) ? payer : undefined;
}
