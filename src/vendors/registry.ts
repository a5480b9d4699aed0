/**
 * The explicit, typed registry of vendors and block clients. No file-system
 * discovery and no dynamic import of user-supplied names: adding a VAR
 * third-party client is one folder under `src/vendors/` plus one line here.
 */
import type { BlockClientModule, VendorModule } from './types.js';

/** Relay vendors, in the order their results are merged. */
export const vendors = {} as const satisfies Record<string, VendorModule<unknown>>;

/** Block clients, keyed by the id used in the token's `block_clients` field. */
export const blockClients = {} as const satisfies Record<string, BlockClientModule<unknown>>;

export type VendorId = keyof typeof vendors;
export type BlockClientId = keyof typeof blockClients;
