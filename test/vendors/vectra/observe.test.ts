import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../src/kernel/ctim.js';
import { RelayError } from '../../../src/kernel/errors.js';
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

type Sighting = Record<string, unknown> & {
  source_uri: string;
  title: string;
  observables: Array<{ type: string; value: string }>;
  targets?: Array<{ type: string; observables: Array<{ type: string; value: string }> }>;
  relations?: Array<Record<string, unknown>>;
};

let brain: FakeBrain;
let seeded: SeededScenario;
beforeEach(async () => {
  brain = await withBrain();
  seeded = seedSandboxScenario(brain);
  brain.addHost({ name: 'wks-v6', ip: '2001:db8::42' });
});
afterEach(async () => {
  await brain.close();
  clearTokenCache();
});
afterAll(() => closeUpstreamPools());

async function observe(flavour: Flavour, observables: Array<{ type: string; value: string }>, limit = 100) {
  const observeFn = vectraVendor.observe;
  if (!observeFn) throw new Error('no observe');
  const out = await observeFn(configFor(brain, flavour), observables, ctxFor({ entitiesLimit: limit }));
  return { sightings: (out.data.sightings ?? []) as unknown as Sighting[], errors: out.errors };
}

const uris = (s: Sighting[]) => s.map((x) => x.source_uri.replace(brain.url, '')).sort();

describe.each(['v2.5', 'v3'] as Flavour[])('observe (%s)', (flavour) => {
  it('turns an internal IP into its host and the detections it is part of', async () => {
    const { sightings, errors } = await observe(flavour, [{ type: 'ip', value: SCENARIO.workstation.ip }]);
    expect(errors).toEqual([]);
    expect(uris(sightings)).toEqual(
      [
        `/hosts/${seeded.workstationId}`,
        `/detections/${seeded.c2DetectionId}`,
        `/detections/${seeded.privilegeDetectionId}`,
        '/detections/2', // the server's lateral movement towards the workstation
      ].sort(),
    );
    const host = sightings.find((s) => s.source_uri.endsWith(`/hosts/${seeded.workstationId}`));
    expect(host).toMatchObject({
      type: 'sighting',
      schema_version: SCHEMA_VERSION,
      source: 'Vectra Detect',
      internal: true,
      count: 1,
      severity: 'Critical',
      confidence: 'High',
      observables: [{ type: 'ip', value: SCENARIO.workstation.ip }],
    });
    expect(String(host?.id)).toMatch(/^transient:sighting-[0-9a-f-]{36}$/);
    expect(host?.targets?.[0]).toMatchObject({
      type: 'endpoint',
      observables: [
        { type: 'ip', value: SCENARIO.workstation.ip },
        { type: 'hostname', value: SCENARIO.workstation.name },
        { type: 'mac_address', value: SCENARIO.workstation.mac },
      ],
    });
  });

  it('turns an external IP into the detections that connected to it, with Connected_To relations', async () => {
    const { sightings } = await observe(flavour, [{ type: 'ip', value: SCENARIO.c2Ip }]);
    expect(uris(sightings)).toEqual([`/detections/${seeded.c2DetectionId}`]);
    const [c2] = sightings;
    expect(c2?.title).toBe('Hidden HTTPS Tunnel detected by Vectra Detect');
    expect(c2).toMatchObject({ severity: 'Critical', confidence: 'High' });
    expect(c2?.relations).toContainEqual({
      origin: 'Vectra Detect',
      origin_uri: c2?.source_uri,
      relation: 'Connected_To',
      source: { type: 'ip', value: SCENARIO.workstation.ip },
      related: { type: 'ip', value: SCENARIO.c2Ip },
    });
    expect(c2?.targets?.[0]?.observables).toContainEqual({
      type: 'hostname',
      value: SCENARIO.workstation.name,
    });
  });

  it('turns a domain into the detections that reached it', async () => {
    const { sightings } = await observe(flavour, [{ type: 'domain', value: SCENARIO.c2Domain }]);
    expect(uris(sightings)).toEqual([`/detections/${seeded.c2DetectionId}`]);
    expect(sightings[0]?.relations).toContainEqual(
      expect.objectContaining({ related: { type: 'domain', value: SCENARIO.c2Domain } }),
    );
  });

  it.each([
    ['hostname', SCENARIO.workstation.name],
    ['mac_address', SCENARIO.workstation.mac],
  ])('turns a %s into its host and its detections', async (type, value) => {
    const { sightings } = await observe(flavour, [{ type, value }]);
    expect(uris(sightings)).toEqual([
      `/detections/${seeded.c2DetectionId}`,
      `/hosts/${seeded.workstationId}`,
    ]);
    expect(sightings.every((s) => s.observables[0]?.value === value)).toBe(true);
  });

  it('turns an IPv6 address into its host', async () => {
    const { sightings } = await observe(flavour, [{ type: 'ipv6', value: '2001:db8::42' }]);
    expect(sightings).toHaveLength(1);
    expect(sightings[0]?.targets?.[0]?.observables[0]).toEqual({ type: 'ipv6', value: '2001:db8::42' });
  });

  it('turns a user into its account and the account detections', async () => {
    const user = SCENARIO.account.replace(/^O365:/, '');
    const { sightings } = await observe(flavour, [{ type: 'user', value: user }]);
    expect(uris(sightings)).toEqual([
      `/accounts/${seeded.accountId}`,
      `/detections/${seeded.privilegeDetectionId}`,
    ]);
    expect(sightings.find((s) => s.source_uri.includes('/accounts/'))).toMatchObject({
      title: `Account ${SCENARIO.account} in Vectra Detect`,
      severity: flavour === 'v3' ? 'High' : 'Critical',
    });
  });

  it('returns nothing for unknown values and unsupported types', async () => {
    const { sightings, errors } = await observe(flavour, [
      { type: 'ip', value: '198.51.100.1' },
      { type: 'sha256', value: 'a'.repeat(64) },
    ]);
    expect(sightings).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('honours CTR_ENTITIES_LIMIT per observable', async () => {
    const { sightings } = await observe(
      flavour,
      [
        { type: 'ip', value: SCENARIO.workstation.ip },
        { type: 'hostname', value: SCENARIO.workstation.name },
      ],
      1,
    );
    expect(sightings).toHaveLength(2);
    expect(sightings.map((s) => s.observables[0]?.type).sort()).toEqual(['hostname', 'ip']);
  });

  it('returns partial data plus the error when one observable fails', async () => {
    brain.inject({ path: '/accounts', status: 500, times: 10 });
    const { sightings, errors } = await observe(flavour, [
      { type: 'user', value: 'svc-backup@corp.example.com' },
      { type: 'hostname', value: SCENARIO.workstation.name },
    ]);
    expect(sightings.length).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RelayError);
    expect(errors[0]).toMatchObject({ code: 'internal error', message: 'The Vectra Detect internal error.' });
  });
});

describe('observe queries', () => {
  it('uses /search on v2.5 and detections?destination= on v3 for destinations', async () => {
    await observe('v2.5', [{ type: 'domain', value: SCENARIO.c2Domain }]);
    await observe('v3', [{ type: 'domain', value: SCENARIO.c2Domain }]);
    const paths = brain.requests.filter((r) => r.path.includes('detections')).map((r) => r.path);
    expect(paths).toEqual(['/api/v2.5/search/detections', '/api/v3.4/detections']);
    expect(brain.requests.find((r) => r.path === '/api/v3.4/detections')?.query.destination).toBe(
      SCENARIO.c2Domain,
    );
  });
});
