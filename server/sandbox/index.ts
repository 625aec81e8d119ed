/**
 * The sandbox family: test helpers that exist only on sandbox servers (fresh merchants, the test
 * clock). A live server answers 404 on `/v1/sandbox/*` before routing and runs no sandbox job.
 */
import { refreshClockOffset } from '../clock/index.ts';
import { defineFamily } from '../http/family.ts';
import { sandboxHandlers } from './handlers.ts';
import { payerSandboxHandlers } from './payers.ts';

/** The sandbox family module. */
export const sandbox = defineFamily({
  tag: 'sandbox',
  handlers: {
    ...sandboxHandlers,
    ...payerSandboxHandlers,
  },
  jobs: [
    {
      // Another instance may have advanced the shared clock: pick up its offset.
      name: 'sandbox.clock-sync',
      intervalMs: 1000,
      modes: ['sandbox'],
      onRunAll: 'skip',
      run: async (deps) => {
        if (deps.clock) await refreshClockOffset(deps.db, deps.clock);
      },
    },
  ],
});
