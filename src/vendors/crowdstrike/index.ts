/**
 * CrowdStrike Falcon as a block client (`block_clients` contains
 * `crowdstrike`): a host block network-contains the one Falcon device that
 * matches the Vectra host, pending until the device reads `contained`.
 * See README.md for the API client, the regions and the limits.
 */
import { declareBlockClient } from '../../kernel/block-client.js';
import { CAPABILITIES, createFalconClient } from './actions.js';
import { CLIENT_NAME, CROWDSTRIKE_FIELDS, crowdstrikeConfigFrom, MODULE, PRODUCT } from './config.js';

export const crowdstrikeClient = declareBlockClient({
  module: MODULE,
  name: CLIENT_NAME,
  product: `${PRODUCT} (Hosts API)`,
  capabilities: CAPABILITIES,
  fields: CROWDSTRIKE_FIELDS,
  permissions: 'API client scope Hosts: Read and Write',
  configure: crowdstrikeConfigFrom,
  create: createFalconClient,
});
