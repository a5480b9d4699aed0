/**
 * Carbon Black Cloud as a block client (`block_clients` contains
 * `carbon_black`): a host block quarantines the host's one matching device
 * through the device-actions API and stays pending until the device reads
 * quarantined. See README.md.
 */
import { declareBlockClient } from '../../kernel/block-client.js';
import type { VendorModule } from '../../kernel/vendor.js';
import { CAPABILITIES, createCarbonBlackClient } from './actions.js';
import { carbonBlackCollectVendor } from './collect/vendor.js';
import { CB_FIELDS, CLIENT_NAME, cbConfigFrom, MODULE, PRODUCT } from './config.js';

export { type CbConfig, CLIENT_NAME as CARBON_BLACK_CLIENT_NAME } from './config.js';

export const carbonBlackClient = declareBlockClient({
  module: MODULE,
  name: CLIENT_NAME,
  product: `${PRODUCT} (Platform devices API v6)`,
  capabilities: CAPABILITIES,
  fields: CB_FIELDS,
  permissions:
    'custom API key: device READ (device.search), device.quarantine EXECUTE; for collection also org.liveresponse.session CREATE/READ/DELETE and org.liveresponse.file READ',
  configure: cbConfigFrom,
  create: createCarbonBlackClient,
  // Live-response collection: a respond action of its own (collect/vendor.ts).
  vendor: carbonBlackCollectVendor as VendorModule<unknown>,
});
