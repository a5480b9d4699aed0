/**
 * The explicit, typed registry of relay vendors. No file-system discovery and
 * no dynamic import of user-supplied names. Block clients (VAR's third-party
 * clients) have their own registry in `block-clients.ts`: adding one is one
 * folder under `src/vendors/` plus one line there.
 */

import type { VendorModule } from '../kernel/vendor.js';
import { awsNaclVendor } from './aws-nacl/index.js';
import { blockClients } from './block-clients.js';
import { varVendor } from './var/index.js';
import { vectraVendor } from './vectra/index.js';

/** Respond actions block clients declare beyond block/unblock (an EDR's collection), by vendor id. */
const clientVendors: Record<string, VendorModule<unknown>> = Object.fromEntries(
  Object.values(blockClients).flatMap((d) => ('vendor' in d && d.vendor ? [[d.vendor.id, d.vendor]] : [])),
);

/** Relay vendors, in the order their results are merged. */
export const vendors = {
  vectra: vectraVendor,
  var: varVendor,
  aws_nacl: awsNaclVendor,
  ...clientVendors,
} as const satisfies Record<string, VendorModule<unknown>>;

export type VendorId = keyof typeof vendors;

export { type BlockClientId, blockClients } from './block-clients.js';
