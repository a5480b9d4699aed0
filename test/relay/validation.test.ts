/** The validation rows of the relay contract's test inventory (§10): tiles, trigger and respond bodies. */
import { describe, expect, it } from 'vitest';
import type { VendorModule } from '../../src/kernel/vendor.js';
import { makeApp } from '../helpers/app.js';
import { hs256 } from '../helpers/jwt.js';

const tileVendor: VendorModule<true> = {
  id: 'tiles',
  title: 'Tiles',
  supportedTypes: new Set(['ip']),
  configure: (claims) => (claims.tiles ? true : undefined),
  tiles: {
    list: () => [
      {
        id: 't1',
        type: 'metric_group',
        title: 'T',
        tags: [],
        description: 'd',
        short_description: 'd',
        periods: ['last_24_hours', 'last_7_days'],
        default_period: 'last_7_days',
      },
    ],
    data: async (_c, tileId, period) => ({ tile: tileId, period, data: [] }),
  },
};

const auth = async () => ({ authorization: `Bearer ${await hs256({ tiles: '1' })}` });

async function firstError(res: Response): Promise<{ code: string; message: string }> {
  const json = (await res.json()) as { errors: { code: string; message: string }[] };
  return json.errors[0] as { code: string; message: string };
}

describe('tiles validation', () => {
  it.each([
    [
      '/tiles/tile',
      { 'tile-id': 'x' },
      '{"tile_id":["Missing data for required field."],"tile-id":["Unknown field."]}',
    ],
    ['/tiles/tile', { tile_id: '' }, '{"tile_id":["Field may not be blank."]}'],
    [
      '/tiles/tile-data',
      { tile_id: 't1', not_period: 'x' },
      '{"period":["Missing data for required field."],"not_period":["Unknown field."]}',
    ],
    ['/tiles/tile-data', { tile_id: 't1', period: '' }, '{"period":["Field may not be blank."]}'],
    ['/tiles/tile', [], '{"_schema":["Invalid input type."]}'],
    ['/tiles/tile-data', 'not json', '{"_schema":["Invalid input type."]}'],
  ])("%s refuses %o in the relay contract's words", async (path, body, map) => {
    const { post } = makeApp({ vendors: [tileVendor] });
    const err = await firstError(await post(path, body, await auth()));
    expect(err).toEqual({
      type: 'fatal',
      code: 'invalid argument',
      message: `Invalid JSON payload received. ${map}`,
    });
  });

  it('refuses an unknown tile id', async () => {
    const { post } = makeApp({ vendors: [tileVendor] });
    const err = await firstError(await post('/tiles/tile', { tile_id: 'nope' }, await auth()));
    expect(err).toMatchObject({ code: 'invalid argument', message: 'Invalid tile id.' });
  });

  it('lists tiles, one tile and its data', async () => {
    const { post } = makeApp({ vendors: [tileVendor] });
    const h = await auth();
    expect(((await (await post('/tiles', undefined, h)).json()) as { data: unknown[] }).data).toHaveLength(1);
    expect(await (await post('/tiles/tile', { tile_id: 't1' }, h)).json()).toMatchObject({
      data: { id: 't1' },
    });
    expect(
      await (await post('/tiles/tile-data', { tile_id: 't1', period: 'last_24_hours' }, h)).json(),
    ).toEqual({
      data: { tile: 't1', period: 'last_24_hours', data: [] },
    });
  });

  it('refuses a period the tile does not offer', async () => {
    const { post } = makeApp({ vendors: [tileVendor] });
    const err = await firstError(
      await post('/tiles/tile-data', { tile_id: 't1', period: 'last_hour' }, await auth()),
    );
    expect(err.message).toBe('Invalid period for tile t1: use one of last_24_hours, last_7_days.');
  });
});

describe('respond validation', () => {
  it.each([
    [
      { 'action-id': 'x', observable_type: 'ip', observable_value: '' },
      '{"observable_value":["Field may not be blank."]}',
    ],
    [
      { action_id: 'x', observable_type: 'ip', observable_value: '1.1.1.1' },
      '{"action-id":["Missing data for required field."]}',
    ],
    ['not json', '{"_schema":["Invalid input type."]}'],
    [
      { 'action-id': 'x', observable_type: 'ip', observable_value: '1.1.1.1', nested: { a: 1 } },
      '{"nested":["Invalid value."]}',
    ],
  ])('trigger refuses %o with data.status failure', async (body, message) => {
    const { post } = makeApp();
    const json = (await (await post('/respond/trigger', body, await auth())).json()) as {
      data: unknown;
      errors: { code: string; message: string }[];
    };
    expect(json.data).toEqual({ status: 'failure' });
    expect(json.errors[0]?.code).toBe('invalid argument');
    expect(json.errors[0]?.message).toContain(message);
  });

  it('respond/observables refuses an invalid body', async () => {
    const { post } = makeApp();
    const err = await firstError(await post('/respond/observables', [{ type: 'ip' }], await auth()));
    expect(err).toEqual({
      type: 'fatal',
      code: 'invalid argument',
      message: 'Invalid JSON payload received. {"0":{"value":["Missing data for required field."]}}',
    });
  });
});
