/**
 * FortiManager blocking through its JSON-RPC API (VAR's `fortimanager`
 * client): an address object per blocked IP in an ADOM address group, then
 * an install of the policy package, followed as a task (pending until it
 * succeeds). See README.md for the FortiManager-side setup.
 */
import { declareBlockClient } from '../../kernel/block-client.js';
import { CAPABILITIES, createFortiManagerClient } from './actions.js';
import {
  CLIENT_NAME,
  FORTIMANAGER_FIELDS,
  type FortiManagerConfig,
  fortiManagerConfigFrom,
  MODULE,
} from './config.js';

export { CLIENT_NAME as FORTIMANAGER_CLIENT_NAME, type FortiManagerConfig } from './config.js';

export const fortimanagerClient = declareBlockClient({
  module: MODULE,
  name: CLIENT_NAME,
  product: 'FortiManager (JSON-RPC API)',
  capabilities: CAPABILITIES,
  fields: FORTIMANAGER_FIELDS,
  permissions:
    'API user with rpc-permit read-write; profile with Policy & Objects read-write and install rights on the ADOM',
  configure: fortiManagerConfigFrom,
  create: (cfg: FortiManagerConfig, ctx) => createFortiManagerClient(cfg, ctx),
});
