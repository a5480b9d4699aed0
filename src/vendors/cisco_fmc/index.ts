/**
 * Cisco Secure Firewall Management Center as a VAR block client
 * (`block_clients` contains `cisco_fmc`): a block maps the address into one
 * of our API-created dynamic objects, used by the customer's access rule; no
 * deployment. See README.md for the FMC-side setup and the minimum role.
 */
import { declareBlockClient } from '../../kernel/block-client.js';
import { createFmcClient, FMC_CAPABILITIES } from './actions.js';
import { FMC_CLIENT_NAME, FMC_FIELDS, FMC_MODULE, fmcConfigFrom } from './config.js';

export const ciscoFmcClient = declareBlockClient({
  module: FMC_MODULE,
  name: FMC_CLIENT_NAME,
  product: 'Cisco Secure Firewall Management Center (FMC REST API, dynamic objects)',
  capabilities: FMC_CAPABILITIES,
  fields: FMC_FIELDS,
  permissions: 'FMC user with REST API access and a role allowing Object Manager: Modify (dynamic objects)',
  configure: fmcConfigFrom,
  create: createFmcClient,
});
