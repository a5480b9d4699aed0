/**
 * The Vectra Detect vendor: configure from `vectra_*` claims, health, observe,
 * refer, dashboard tiles and the triage actions (`triage.ts`, action ids
 * `vectra-triage-*`). Only the configuration and the catalog load at cold
 * start; the client and its HTTP stack load with the first Vectra call. The
 * block/unblock/tag actions live in `../var/` on top of `VectraClient`.
 */
import type { VendorModule } from '../../kernel/vendor.js';
import { listTiles, OBSERVE_TYPES } from './catalog.js';
import { parseVectraConfig, type VectraConfig } from './config.js';

const service = () => import('./service.js');
const triage = () => import('./triage.js');

export const vectraVendor: VendorModule<VectraConfig> = {
  id: 'vectra',
  title: 'Vectra Detect',
  supportedTypes: OBSERVE_TYPES,
  configure: parseVectraConfig,
  health: async (cfg, ctx) => (await service()).health(cfg, ctx),
  observe: async (cfg, observables, ctx) => (await service()).observeVectra(cfg, observables, ctx),
  refer: async (cfg, observables, ctx) => (await service()).referVectra(cfg, observables, ctx),
  respond: async (cfg, observables, ctx) => (await triage()).offerTriage(cfg, observables, ctx),
  ownsAction: (id) => id.startsWith('vectra-triage-'),
  trigger: async (cfg, request, ctx) => (await triage()).runTriage(cfg, request, ctx),
  tiles: {
    list: listTiles,
    data: async (cfg, tileId, period, ctx) => (await service()).tile(cfg, tileId, period, ctx),
  },
};

export type * from '../../kernel/model.js';
export * from '../../var/state.js';
export { parseVectraConfig, VECTRA_DEFAULTS, type VectraConfig } from './config.js';
