/**
 * The payments family: server-to-server payments by test card or mobile money, refunds, payer
 * instructions, the balance, and the hosted 3-D Secure page. Other families reach payments only
 * through this file.
 */
import { defineFamily } from '../http/family.ts';
import { paymentEventSerializers } from './events.ts';
import { paymentsHandlers } from './handlers.ts';
import { authenticationPages } from './pages.ts';
import { settleDuePayments } from './settlement.ts';
import type { WalletsPort } from './wallet-port.ts';
import { lockWallet, walletAccount } from './wallets.ts';

export { charge, type ChargeInput, type ChargeResult, type ChargeFailure } from './charge.ts';
export type { CheckoutPort } from './ports.ts';
export type { PaymentRow } from './repository.ts';
export { authenticationPath } from './resource.ts';
export { TEST_CARDS, TEST_OUTCOME_LABELS, type TestOutcome } from './test-instruments.ts';
export type { WalletsPort } from './wallet-port.ts';
export { fundSandboxWallet, walletBalances } from './wallets.ts';

const walletsPort: WalletsPort = { account: (userId) => walletAccount(userId), lock: lockWallet };

/** The payments family module. */
export const payments = defineFamily({
  tag: 'payments',
  handlers: paymentsHandlers,
  pages: authenticationPages,
  eventSerializers: paymentEventSerializers,
  provides: { wallets: walletsPort },
  jobs: [
    {
      name: 'payments.settlements',
      intervalMs: 1000,
      run: (deps) => settleDuePayments(deps.db, deps),
    },
  ],
});
