/**
 * Microsoft Defender for Endpoint as a block client (`block_clients` contains
 * `microsoft_defender`): a host block isolates the one Defender machine that
 * matches the Vectra host, pending until Defender's machine action succeeds;
 * detections and static IPs are blocked with IP indicators.
 * Its `vendor` adds the Defender relay's other respond actions (`respond.ts`).
 * See README.md for the app registration, the clouds and the limits.
 */
import { declareBlockClient } from '../../kernel/block-client.js';
import type { VendorModule } from '../../kernel/vendor.js';
import { CAPABILITIES, createDefenderClient } from './actions.js';
import { CLIENT_NAME, DEFENDER_FIELDS, defenderConfigFrom, MODULE, PRODUCT } from './config.js';
import { microsoftDefenderVendor } from './respond.js';

export { microsoftDefenderVendor } from './respond.js';

export const microsoftDefenderClient = declareBlockClient({
  module: MODULE,
  name: CLIENT_NAME,
  product: `${PRODUCT} (machine actions API)`,
  capabilities: CAPABILITIES,
  fields: DEFENDER_FIELDS,
  permissions:
    'Application permissions Machine.Read.All, Machine.Isolate and Ti.ReadWrite.All (WindowsDefenderATP API)',
  configure: defenderConfigFrom,
  create: createDefenderClient,
  // Run AV scan, restrict app execution, collect investigation package, indicators.
  vendor: microsoftDefenderVendor as VendorModule<unknown>,
});
