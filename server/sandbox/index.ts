/**
 * The sandbox family: test helpers that exist only on sandbox servers (fresh merchants, the test
 * clock). A live server answers 404 on `/v1/sandbox/*` before routing and runs no sandbox job.
 */
import { refreshClockOffsets } from '../clock/index.ts';
import { defineFamily } from '../http/family.ts';
import { sandboxEscrowHandlers } from './escrows.ts';
import { sandboxHandlers } from './handlers.ts';
import { sandboxOrderHandlers } from './orders.ts';
import { payerSandboxHandlers } from './payers.ts';

/** The sandbox family module. */
export const sandbox = defineFamily({
  tag: 'sandbox',
  handlers: {
    ...sandboxHandlers,
    ...sandboxOrderHandlers,
    ...payerSandboxHandlers,
    ...sandboxEscrowHandlers,
  },
  jobs: [
    {
      // Another instance may have advanced a merchant's clock: pick up the offsets.
      name: 'sandbox.clock-sync',
      intervalMs: 1000,
      modes: ['sandbox'],
      onRunAll: 'skip',
      run: async (deps) => {
        await refreshClockOffsets(deps.db, deps.clock);
      },
    },
  ],
});
