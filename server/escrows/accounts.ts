/**
 * The ledger accounts of an escrow (credits positive, minor units, one per currency as every
 * ledger account): the money is the payer's until released, so it never sits in the merchant's
 * `available` or `pending` account.
 * - `escrow:<id>:funding` — delayed mobile money the provider has taken but not yet confirmed;
 * - `escrow:<id>:held` — funded money; its balance is the escrow's `amountHeld`.
 */
export const escrowAccounts = {
  funding: (escrowId: string) => `escrow:${escrowId}:funding`,
  held: (escrowId: string) => `escrow:${escrowId}:held`,
};
