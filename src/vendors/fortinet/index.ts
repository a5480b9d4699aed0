/**
 * FortiGate blocking through the FortiOS REST API (VAR's `fortinet` client):
 * an address object per blocked IP, made a member of the customer's source
 * (hosts) or destination (detections, static IPs) address group on every
 * configured FortiGate and VDOM. See README.md for the FortiGate-side setup.
 */
import { declareBlockClient } from '../../kernel/block-client.js';
import { CAPABILITIES, createFortinetClient } from './actions.js';
import { CLIENT_NAME, FORTINET_FIELDS, type FortinetConfig, fortinetConfigFrom, MODULE } from './config.js';

export { CLIENT_NAME as FORTINET_CLIENT_NAME, type FortinetConfig } from './config.js';

export const fortinetClient = declareBlockClient({
  module: MODULE,
  name: CLIENT_NAME,
  product: 'FortiGate (FortiOS REST API)',
  capabilities: CAPABILITIES,
  fields: FORTINET_FIELDS,
  permissions:
    'REST API admin whose profile has read-write on Firewall > Address (and nothing else), per VDOM',
  configure: fortinetConfigFrom,
  create: (cfg: FortinetConfig, ctx) => createFortinetClient(cfg, ctx),
});
