/**
 * What the Vectra vendor offers, without loading its HTTP stack: observable
 * types and dashboard tile descriptors. `index.ts` needs only these at cold
 * start; the client (undici) is imported when a request first calls Vectra.
 */
import type { TileDescriptor } from '../../kernel/vendor.js';
import type { VectraConfig } from './config.js';

export const OBSERVE_TYPES: ReadonlySet<string> = new Set([
  'ip',
  'ipv6',
  'hostname',
  'mac_address',
  'domain',
  'user',
]);

export const TILE_PERIODS: Readonly<Record<string, number>> = {
  last_hour: 3_600_000,
  last_24_hours: 86_400_000,
  last_7_days: 7 * 86_400_000,
  last_30_days: 30 * 86_400_000,
  last_60_days: 60 * 86_400_000,
  last_90_days: 90 * 86_400_000,
};

export const QUADRANT_TILE = 'vectra-host-quadrants';
export const BLOCKED_TILE = 'vectra-var-blocked';

const descriptor = (id: string, type: string, title: string, description: string): TileDescriptor => ({
  id,
  type,
  title,
  tags: ['vectra', 'detect'],
  description,
  short_description: description,
  periods: Object.keys(TILE_PERIODS),
  default_period: 'last_7_days',
});

export function listTiles(_cfg: VectraConfig): TileDescriptor[] {
  return [
    descriptor(
      QUADRANT_TILE,
      'metric_group',
      'Vectra Detect host priority',
      'Active hosts with detections in the period, by threat/certainty quadrant (v2.5) or urgency (v3).',
    ),
    descriptor(
      BLOCKED_TILE,
      'markdown',
      'Blocked by Vectra Automated Response',
      'Hosts and accounts currently tagged as blocked by VAR or this relay.',
    ),
  ];
}
