/**
 * Palo Alto Networks PAN-OS, directly or through Panorama, as a VAR block
 * client (`block_clients` contains `pan`): a block registers the address with
 * one of our tags, which a dynamic address group in the customer's deny rule
 * matches. See README.md for the firewall-side setup and the minimum role.
 */
import { declareBlockClient } from '../../kernel/block-client.js';
import { createPanClient, PAN_CAPABILITIES } from './actions.js';
import { PAN_CLIENT_NAME, PAN_FIELDS, PAN_MODULE, panConfigFrom } from './config.js';

export const panClient = declareBlockClient({
  module: PAN_MODULE,
  name: PAN_CLIENT_NAME,
  product: 'PAN-OS (XML API User-ID, direct or through Panorama)',
  capabilities: PAN_CAPABILITIES,
  fields: PAN_FIELDS,
  permissions: 'Admin role with XML API: User-ID Agent and Operational Requests (nothing else)',
  configure: panConfigFrom,
  create: createPanClient,
});
