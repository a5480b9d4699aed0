/** Dashboard tiles: `/tiles`, `/tiles/tile`, `/tiles/tile-data`, collected from the enabled vendors. */

import { Hono } from 'hono';
import { envelope, invalidArgument } from '../../kernel/errors.js';
import { describeIssues } from '../../kernel/observables.js';
import type { TileDescriptor } from '../../kernel/vendor.js';
import { readJson } from '../body.js';
import type { EnabledVendor } from '../enabled.js';
import type { AppEnv } from '../env.js';
import { TileDataSchema, TileSchema } from '../schemas.js';

function allTiles(enabled: readonly EnabledVendor[]): { vendor: EnabledVendor; tile: TileDescriptor }[] {
  return enabled.flatMap((vendor) =>
    (vendor.module.tiles?.list(vendor.cfg) ?? []).map((tile) => ({ vendor, tile })),
  );
}

function findTile(
  enabled: readonly EnabledVendor[],
  tileId: string,
): { vendor: EnabledVendor; tile: TileDescriptor } {
  const found = allTiles(enabled).find((t) => t.tile.id === tileId);
  if (!found) throw invalidArgument('Invalid tile id.');
  return found;
}

export const tileRoutes = new Hono<AppEnv>();

tileRoutes.post('/tiles', (c) => c.json(envelope(allTiles(c.get('enabled')).map((t) => t.tile))));

tileRoutes.post('/tiles/tile', async (c) => {
  const parsed = TileSchema.safeParse(await readJson(c.req), { reportInput: true });
  if (!parsed.success) throw invalidArgument(describeIssues(parsed.error.issues));
  return c.json(envelope(findTile(c.get('enabled'), parsed.data.tile_id).tile));
});

tileRoutes.post('/tiles/tile-data', async (c) => {
  const ctx = c.get('ctx');
  const parsed = TileDataSchema.safeParse(await readJson(c.req), { reportInput: true });
  if (!parsed.success) throw invalidArgument(describeIssues(parsed.error.issues));
  const { vendor, tile } = findTile(c.get('enabled'), parsed.data.tile_id);
  if (!tile.periods.includes(parsed.data.period)) {
    throw invalidArgument(`Invalid period for tile ${tile.id}: use one of ${tile.periods.join(', ')}.`);
  }
  const data = await vendor.module.tiles?.data(vendor.cfg, tile.id, parsed.data.period, ctx);
  return c.json(envelope(data ?? {}));
});
