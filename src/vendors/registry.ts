/**
 * The explicit, typed registry of relay vendors. No file-system discovery and
 * no dynamic import of user-supplied names. Block clients (VAR's third-party
 * clients) have their own registry in `block-clients.ts`: adding one is one
 * folder under `src/vendors/` plus one line there.
 */

import type { VendorModule } from '../kernel/vendor.js';
import { awsNaclVendor } from './aws-nacl/index.js';
import { varVendor } from './var/index.js';
import { vectraVendor } from './vectra/index.js';

/** Relay vendors, in the order their results are merged. */
export const vendors = {
  vectra: vectraVendor,
  var: varVendor,
  aws_nacl: awsNaclVendor,
} as const satisfies Record<string, VendorModule<unknown>>;

export type VendorId = keyof typeof vendors;

export { type BlockClientId, blockClients } from './block-clients.js';
