/**
 * The live-response collection as a relay vendor (the declaration's `vendor`):
 * `/respond/observables` offers "Collect evidence" for a host that has one
 * Carbon Black device, and shows the state of its latest job;
 * `/respond/trigger` starts the session, writes the job and answers at once
 * with its id (a `pending` warning). The job then advances in the collection
 * runner (`runner.ts`: the `collect` function's schedule, or the local
 * server's timer). Enabled when the token lists `carbon_black` in
 * `block_clients`, Vectra is configured, and the deployment has a store.
 */
import type { RelayConfig } from '../../../kernel/config.js';
import type { Claims } from '../../../kernel/context.js';
import type { VendorModule } from '../../../kernel/vendor.js';
import { parseVectraConfig, type VectraConfig } from '../../vectra/config.js';
import { type CbConfig, cbConfigOf, isListed, MODULE } from '../config.js';
import { type CollectSettings, collectSettings } from './settings.js';

export interface CollectConfig {
  readonly cb: CbConfig;
  readonly vectra: VectraConfig;
  readonly settings: CollectSettings;
}

export const COLLECT_ACTION = 'carbon_black-collect';

export function configureCollect(claims: Claims, config: RelayConfig): CollectConfig | undefined {
  const settings = collectSettings();
  if (!settings || !isListed(claims)) return undefined;
  const vectra = parseVectraConfig(claims, config);
  if (!vectra) return undefined;
  return { cb: cbConfigOf(claims, config), vectra, settings };
}

export const carbonBlackCollectVendor: VendorModule<CollectConfig> = {
  id: MODULE,
  title: 'Carbon Black Cloud live response',
  supportedTypes: new Set(['ip', 'hostname']),
  configure: configureCollect,
  respond: async (cfg, observables, ctx) =>
    (await import('./actions.js')).offerCollect(cfg, observables, ctx),
  ownsAction: (id) => id.startsWith(`${MODULE}-`),
  trigger: async (cfg, req, ctx) => (await import('./actions.js')).startCollect(cfg, req, ctx),
};
