/**
 * VAR-compatible response through Vectra: the relay's block/unblock/tag
 * actions for hosts and accounts, executed by the registered block clients
 * and recorded in Vectra tags exactly as Vectra's Automated Response does.
 */
import type { VendorModule } from '../types.js';
import { offerActions, SUPPORTED_TYPES } from './actions.js';
import { parseVarConfig, type VarConfig } from './config.js';
import { runTrigger } from './trigger.js';

export const varVendor: VendorModule<VarConfig> = {
  id: 'var',
  title: 'Vectra Automated Response',
  supportedTypes: SUPPORTED_TYPES,
  configure: parseVarConfig,
  respond: offerActions,
  ownsAction: (id) => id.startsWith('vectra-'),
  trigger: runTrigger,
};

export { blockAndRecord, eligibleClients, unblockAndRecord, utcStamp } from './apply.js';
export type { VarConfig } from './config.js';
