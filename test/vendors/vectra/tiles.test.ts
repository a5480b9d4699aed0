import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import { type FakeBrain, seedSandboxScenario } from '../../../src/sandbox/vectra-brain/index.js';
import { clearTokenCache } from '../../../src/vendors/vectra/auth.js';
import { vectraVendor } from '../../../src/vendors/vectra/index.js';
import { configFor, ctxFor, type Flavour, withBrain } from './helpers.js';

let brain: FakeBrain;
beforeEach(async () => {
  brain = await withBrain();
  seedSandboxScenario(brain);
  // Old activity, outside short periods.
  brain.addHost({
    name: 'old-critical',
    threat: 90,
    certainty: 90,
    urgency: 90,
    lastDetection: '2020-01-01T00:00:00Z',
  });
});
afterEach(async () => {
  await brain.close();
  clearTokenCache();
});
afterAll(() => closeUpstreamPools());

const tiles = () => {
  if (!vectraVendor.tiles) throw new Error('no tiles');
  return vectraVendor.tiles;
};

describe('tiles', () => {
  it('lists two tiles with the period vocabulary', () => {
    const list = tiles().list(configFor(brain, 'v2.5'));
    expect(list.map((t) => [t.id, t.type])).toEqual([
      ['vectra-host-quadrants', 'metric_group'],
      ['vectra-var-blocked', 'markdown'],
    ]);
    for (const t of list) {
      expect(t.periods).toContain('last_24_hours');
      expect(t.periods).toContain(t.default_period);
    }
  });

  it('counts v2.5 hosts by quadrant within the period', async () => {
    const out = await tiles().data(
      configFor(brain, 'v2.5'),
      'vectra-host-quadrants',
      'last_24_hours',
      ctxFor(),
    );
    expect(out).toMatchObject({ cache_scope: 'org', period: 'last_24_hours' });
    const data = out.data as Array<{ label: string; value: number; value_unit: string }>;
    // Scenario: wks-fin-042 88/91, srv-db-01 65/70, wks-eng-007 72/60 → critical; hr/sales hosts are low.
    expect(data.map((m) => [m.label, m.value])).toEqual([
      ['Critical', 3],
      ['High', 0],
      ['Medium', 0],
      ['Low', 3],
    ]);
    expect(data.every((m) => m.value_unit === 'integer')).toBe(true);
    const observed = out.observed_time as { start_time: string; end_time: string };
    expect(Date.parse(observed.end_time) - Date.parse(observed.start_time)).toBe(86_400_000);
    const all = await tiles().data(
      configFor(brain, 'v2.5'),
      'vectra-host-quadrants',
      'last_90_days',
      ctxFor(),
    );
    expect((all.data as Array<{ value: number }>)[0]?.value).toBe(3); // 2020 is outside 90 days too
    const q = brain.requests.find((r) => r.query.threat_gte === '50' && r.query.certainty_gte === '50');
    expect(q?.query).toMatchObject({ state: 'active', page_size: '1' });
    expect(q?.query.last_detection_timestamp_gte).toBeDefined();
  });

  it('groups v3 hosts by urgency band', async () => {
    const out = await tiles().data(configFor(brain, 'v3'), 'vectra-host-quadrants', 'last_7_days', ctxFor());
    const data = out.data as Array<{ label: string; value: number }>;
    // urgencies: 92, 68, 66, 10, 15, 20 → Critical 1, High 2, Low 3.
    expect(data.map((m) => [m.label, m.value])).toEqual([
      ['Critical', 1],
      ['High', 2],
      ['Medium', 0],
      ['Low', 3],
    ]);
  });

  it.each(['v2.5', 'v3'] as Flavour[])(
    'lists hosts blocked by VAR as a markdown table (%s)',
    async (flavour) => {
      brain.addHost({ name: 'not-really', tags: ['VAR Host Blocked (stale)'] });
      const out = await tiles().data(configFor(brain, flavour), 'vectra-var-blocked', 'last_hour', ctxFor());
      const lines = out.data as string[];
      expect(lines[0]).toBe('| Type | Name | Blocked by | Last detection |');
      expect(lines.slice(2)).toHaveLength(1);
      expect(lines[2]).toMatch(
        /^\| host \| \[wks-eng-007\]\(http:\/\/127\.0\.0\.1:\d+\/hosts\/3\) \| Test Client \|/,
      );
    },
  );

  it('escapes Markdown from the brain: a host name cannot become a link, a timestamp cannot add a row', async () => {
    brain.addHost({
      name: 'pwned](https://phish.example/login) [x',
      tags: ['VAR Host Blocked', 'VAR ID:Test Client:42'],
      lastDetection: '2026-01-01T00:00:00Z|\n| host | [evil](https://phish.example) | x |',
    });
    const out = await tiles().data(configFor(brain, 'v2.5'), 'vectra-var-blocked', 'last_hour', ctxFor());
    const lines = out.data as string[];
    const row = lines.find((l) => l.includes('pwned')) ?? '';
    expect(row).toContain('pwned\\]\\(https:\\/\\/phish.example/login\\) \\[x');
    expect(row).not.toMatch(/\]\(https:\/\/phish/);
    expect(lines.join('\n')).not.toContain('[evil]');
    expect(row.split(' | ').length).toBe(4);
  });

  it('refuses an unknown tile id and an unknown period', async () => {
    const cfg = configFor(brain, 'v2.5');
    await expect(tiles().data(cfg, 'nope', 'last_hour', ctxFor())).rejects.toMatchObject({
      code: 'invalid argument',
      message: 'Invalid tile id.',
    });
    await expect(tiles().data(cfg, 'vectra-var-blocked', 'last_year', ctxFor())).rejects.toMatchObject({
      code: 'invalid argument',
    });
  });
});
