/** Tables of the double-entry ledger (shared mechanism). Amounts in minor units. */
import { bigserial, index, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, money } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';

/** One balanced posting: its entries sum to zero per currency. */
export const ledgerTransactions = pgTable('ledger_transactions', {
  id: text('id').primaryKey(),
  merchantId: text('merchant_id').notNull().references(() => merchants.id),
  kind: text('kind').notNull(),
  sourceId: text('source_id').notNull(),
  createdAt: createdAt(),
});

/** Signed amounts in minor units: debits negative, credits positive, per account and currency. */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    transactionId: text('transaction_id').notNull().references(() => ledgerTransactions.id),
    account: text('account').notNull(),
    currency: text('currency').notNull(),
    amount: money('amount').notNull(),
  },
  (t) => [index('ledger_entries_account_idx').on(t.account, t.currency), index('ledger_entries_tx_idx').on(t.transactionId)],
);

