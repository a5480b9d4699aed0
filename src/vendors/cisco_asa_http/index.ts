/**
 * Cisco ASA over its HTTPS management interface as a VAR block client
 * (`block_clients` contains `cisco_asa_http`): our `object network` per
 * address in the customer's object-group that their deny access-list uses,
 * one `write memory` per batch. See README.md for the ASA-side setup.
 */
import { declareBlockClient } from '../../kernel/block-client.js';
import { ASA_CAPABILITIES, createAsaClient } from './actions.js';
import { ASA_CLIENT_NAME, ASA_FIELDS, ASA_MODULE, asaConfigFrom } from './config.js';

export const ciscoAsaHttpClient = declareBlockClient({
  module: ASA_MODULE,
  name: ASA_CLIENT_NAME,
  product: 'Cisco ASA (HTTPS management interface, CLI over HTTP)',
  capabilities: ASA_CAPABILITIES,
  fields: ASA_FIELDS,
  permissions: 'ASA user with privilege 15 (configuration and write memory), HTTP access from the relay',
  configure: asaConfigFrom,
  create: createAsaClient,
});
