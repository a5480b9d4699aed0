import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import {
  type FakeBrain,
  SCENARIO,
  type SeededScenario,
  seedSandboxScenario,
} from '../../../src/sandbox/vectra-brain/index.js';
import { clearTokenCache } from '../../../src/vendors/vectra/auth.js';
import { vectraVendor } from '../../../src/vendors/vectra/index.js';
import { configFor, ctxFor, type Flavour, withBrain } from './helpers.js';

let brain: FakeBrain;
let seeded: SeededScenario;
beforeEach(async () => {
  brain = await withBrain();
  seeded = seedSandboxScenario(brain);
});
afterEach(async () => {
  await brain.close();
  clearTokenCache();
});
afterAll(() => closeUpstreamPools());

async function refer(flavour: Flavour, observables: Array<{ type: string; value: string }>, extra = {}) {
  const fn = vectraVendor.refer;
  if (!fn) throw new Error('no refer');
  return fn(configFor(brain, flavour, extra), observables, ctxFor());
}

/** v2.5 (Quadrant UX) has a search page; no source gives the Respond UX (v3) one. */
const pivots = (flavour: Flavour, ids: string[]) =>
  flavour === 'v3' ? ids.filter((id) => !id.startsWith('ref-vectra-search-')) : ids;

describe('refer on v3 (Respond UX)', () => {
  it('emits no search pivot, only links to pages that exist', async () => {
    const { data, errors } = await refer('v3', [
      { type: 'domain', value: SCENARIO.c2Domain },
      { type: 'ip', value: SCENARIO.workstation.ip },
    ]);
    expect(errors).toEqual([]);
    expect(data.map((r) => r.id)).toEqual([`ref-vectra-browse-host-${seeded.workstationId}`]);
    expect(data.some((r) => r.url.includes('/search/'))).toBe(false);
  });
});

describe.each(['v2.5'] as Flavour[])('refer search pivots (%s)', (flavour) => {
  it('gives a search pivot for every supported observable and skips the rest', async () => {
    const { data, errors } = await refer(flavour, [
      { type: 'domain', value: SCENARIO.c2Domain },
      { type: 'sha256', value: 'a'.repeat(64) },
    ]);
    expect(errors).toEqual([]);
    expect(data).toEqual([
      {
        id: `ref-vectra-search-domain-${SCENARIO.c2Domain}`,
        title: 'Search for this domain',
        description: 'Lookup this domain on Vectra Detect',
        url: `${brain.url}/search/detections?query_string=${encodeURIComponent(
          `detection.grouped_details.target_domains:"${SCENARIO.c2Domain}"`,
        )}`,
        categories: ['Search', 'Vectra Detect'],
      },
    ]);
  });

  it('adds Browse links to host and account pages found by lookup, on the UI URL', async () => {
    const { data } = await refer(
      flavour,
      [
        { type: 'ip', value: SCENARIO.workstation.ip },
        { type: 'mac_address', value: SCENARIO.workstation.mac },
        { type: 'user', value: SCENARIO.account },
      ],
      { vectra_ui_url: 'https://ui.example' },
    );
    expect(data.map((r) => r.id)).toEqual([
      `ref-vectra-search-ip-${SCENARIO.workstation.ip}`,
      `ref-vectra-browse-host-${seeded.workstationId}`,
      `ref-vectra-search-mac_address-${SCENARIO.workstation.mac}`,
      `ref-vectra-search-user-${SCENARIO.account}`,
      `ref-vectra-browse-account-${seeded.accountId}`,
    ]);
    expect(data.find((r) => r.id.startsWith('ref-vectra-browse-host'))).toEqual({
      id: `ref-vectra-browse-host-${seeded.workstationId}`,
      title: `Browse host ${SCENARIO.workstation.name}`,
      description: `Open host ${SCENARIO.workstation.name} on Vectra Detect`,
      url: `https://ui.example/hosts/${seeded.workstationId}`,
      categories: ['Browse', 'Vectra Detect'],
    });
    expect(data.every((r) => r.url.startsWith('https://ui.example/'))).toBe(true);
  });
});

describe.each(['v2.5', 'v3'] as Flavour[])('refer (%s)', (flavour) => {
  it('keeps the pivots and reports the error when a lookup fails', async () => {
    brain.inject({ path: '/hosts', status: 403, times: 10, body: { detail: 'no hosts for you' } });
    const { data, errors } = await refer(flavour, [
      { type: 'hostname', value: SCENARIO.workstation.name },
      { type: 'user', value: SCENARIO.account },
    ]);
    expect(data.map((r) => r.id)).toEqual(
      pivots(flavour, [
        `ref-vectra-search-hostname-${SCENARIO.workstation.name}`,
        `ref-vectra-search-user-${SCENARIO.account}`,
        `ref-vectra-browse-account-${seeded.accountId}`,
      ]),
    );
    expect(errors).toEqual([expect.objectContaining({ code: 'permission denied' })]);
  });
});
