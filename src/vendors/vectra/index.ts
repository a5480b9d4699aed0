/**
 * The Vectra Detect vendor: configure from `vectra_*` claims, health, observe,
 * refer and dashboard tiles. respond/trigger are built by the lead on top of
 * `VectraClient` and the `state.ts` tag functions exported here.
 */
import type { VendorModule } from '../types.js';
import { VectraClient } from './client.js';
import { parseVectraConfig, type VectraConfig } from './config.js';
import { asRelayError, OBSERVE_TYPES, observeVectra } from './observe.js';
import { referVectra } from './refer.js';
import { listTiles, tileData } from './tiles.js';

export const vectraVendor: VendorModule<VectraConfig> = {
  id: 'vectra',
  title: 'Vectra Detect',
  supportedTypes: OBSERVE_TYPES,
  configure: parseVectraConfig,
  async health(cfg, ctx) {
    try {
      await new VectraClient(cfg, ctx).health();
    } catch (err) {
      throw asRelayError(err);
    }
  },
  observe: observeVectra,
  refer: referVectra,
  tiles: {
    list: listTiles,
    async data(cfg, tileId, period, ctx) {
      try {
        return await tileData(cfg, tileId, period, ctx);
      } catch (err) {
        throw asRelayError(err);
      }
    },
  },
};

export { clearTokenCache } from './auth.js';
export { VectraClient, type VectraClientOptions, type VectraNote } from './client.js';
export {
  parseVectraConfig,
  VECTRA_DEFAULTS,
  type VectraApiVersion,
  type VectraAuth,
  type VectraConfig,
  validateUpstreamUrl,
} from './config.js';
export { closeVectraPools } from './http.js';
export type * from './model.js';
export { type ParseOptions, parseAccount, parseDetection, parseHost } from './parse.js';
export * from './state.js';
