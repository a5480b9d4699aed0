/**
 * VAR-compatible response through Vectra: the relay's block/unblock/tag
 * actions for hosts and accounts, executed by the registered block clients
 * and recorded in Vectra tags exactly as Vectra's Automated Response does.
 * The work (Vectra client, block clients) loads on first use.
 */
import type { VendorModule } from '../../kernel/vendor.js';
import { parseVarConfig, SUPPORTED_TYPES, type VarConfig } from './config.js';

export const varVendor: VendorModule<VarConfig> = {
  id: 'var',
  title: 'Vectra Automated Response',
  supportedTypes: SUPPORTED_TYPES,
  configure: parseVarConfig,
  respond: async (cfg, observables, ctx) =>
    (await import('./actions.js')).offerActions(cfg, observables, ctx),
  // Exactly its own ids: `vectra-triage-*` belongs to the Vectra vendor.
  ownsAction: (id) => /^vectra-(block|unblock|tag|untag)-(host|account)$/.test(id),
  trigger: async (cfg, request, ctx) => (await import('./trigger.js')).runTrigger(cfg, request, ctx),
};

export type { VarConfig } from './config.js';
