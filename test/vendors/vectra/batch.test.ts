import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import {
  type FakeBrain,
  SCENARIO,
  type SeededScenario,
  seedSandboxScenario,
} from '../../../src/sandbox/vectra-brain/index.js';
import { clearTokenCache } from '../../../src/vendors/vectra/auth.js';
import { MAX_QUERY_CHARS, orQueries } from '../../../src/vendors/vectra/batch.js';
import { vectraVendor } from '../../../src/vendors/vectra/index.js';
import { apiCalls, configFor, ctxFor, type Flavour, withBrain } from './helpers.js';

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

type Obs = Array<{ type: string; value: string }>;
const ip = (value: string) => ({ type: 'ip', value });
const manyIps = (n: number, extra: string[] = []): Obs => [
  ...extra.map(ip),
  ...Array.from({ length: n }, (_, i) => ip(`10.99.${Math.floor(i / 200)}.${(i % 200) + 1}`)),
];

async function observe(flavour: Flavour, observables: Obs) {
  const fn = vectraVendor.observe;
  if (!fn) throw new Error('no observe');
  const out = await fn(configFor(brain, flavour), observables, ctxFor());
  const uris = (out.data.sightings ?? []).map((s) => {
    const x = s as unknown as { source_uri: string; observables: Array<{ value: string }> };
    return `${x.observables[0]?.value} ${x.source_uri.replace(brain.url, '')}`;
  });
  return { uris: uris.sort(), errors: out.errors };
}

/** What one observable answers alone (the per-observable path), for comparison. */
async function alone(flavour: Flavour, observables: Obs) {
  const all: string[] = [];
  for (const o of observables) all.push(...(await observe(flavour, [o])).uris);
  return all.sort();
}

const paths = () => apiCalls(brain).map((r) => r.path.replace(/^\/api\/v[\d.]+\//, ''));

describe('observe on v2.5 batches the ip observables of a request', () => {
  const wanted = [SCENARIO.workstation.ip, SCENARIO.c2Ip, SCENARIO.server.ip, '198.51.100.1'];

  it('answers what the per-observable calls answer, in one host search and two detection searches', async () => {
    const expected = await alone('v2.5', wanted.map(ip));
    brain.requests.length = 0;
    const { uris, errors } = await observe('v2.5', wanted.map(ip));
    expect(errors).toEqual([]);
    expect(uris).toEqual(expected);
    expect(uris).toContain(`${SCENARIO.workstation.ip} /hosts/${seeded.workstationId}`);
    expect(uris).toContain(`${SCENARIO.c2Ip} /detections/${seeded.c2DetectionId}`);
    expect(paths().sort()).toEqual(['search/detections', 'search/detections', 'search/hosts']);
    const queries = apiCalls(brain).map((r) => r.query.query_string);
    expect(queries).toContain(wanted.map((v) => `host.last_source:"${v}"`).join(' OR '));
    expect(queries).toContain(
      `detection.state:"active" AND (${wanted.map((v) => `detection.src_ip:"${v}"`).join(' OR ')})`,
    );
  });

  it('keeps the number of calls constant as observables grow (100 IPs: two queries per lookup)', async () => {
    const { errors, uris } = await observe('v2.5', manyIps(100, [SCENARIO.workstation.ip]));
    expect(errors).toEqual([]);
    expect(uris).toContain(`${SCENARIO.workstation.ip} /hosts/${seeded.workstationId}`);
    expect(paths()).toHaveLength(6);
    for (const r of apiCalls(brain))
      expect(r.query.query_string?.length).toBeLessThanOrEqual(MAX_QUERY_CHARS);
  });

  it('re-checks every answer exactly: a host or detection of another IP is not attributed', async () => {
    // 10.20.30.4 is a prefix of the workstation's 10.20.30.42: a loose match would attribute it.
    const { uris } = await observe('v2.5', [ip('10.20.30.4'), ip(SCENARIO.server.ip)]);
    expect(uris.filter((u) => u.startsWith('10.20.30.4 '))).toEqual([]);
  });

  it('falls back to the per-observable calls when the brain refuses a search', async () => {
    const expected = await alone('v2.5', wanted.map(ip));
    brain.requests.length = 0;
    brain.inject({ path: '/search/hosts', status: 422, body: { detail: 'query too complex' } });
    brain.inject({ path: '/search/detections', status: 414, times: 1 });
    const { uris, errors } = await observe('v2.5', wanted.map(ip));
    expect(errors).toEqual([]);
    expect(uris).toEqual(expected);
    expect(paths().filter((p) => p === 'hosts')).toHaveLength(wanted.length);
  });

  it('reports an outage once, not as a refusal to fall back on', async () => {
    brain.inject({ path: '/search/hosts', status: 403, body: { detail: 'no search for you' } });
    const { errors } = await observe('v2.5', wanted.map(ip));
    expect(errors).toEqual([expect.objectContaining({ code: 'permission denied' })]);
    expect(paths().filter((p) => p === 'hosts')).toEqual([]);
  });
});

describe('v3 has no search: ip lookups stay per observable', () => {
  it('asks each IP on its own, under the bound', async () => {
    const { errors } = await observe('v3', [ip(SCENARIO.workstation.ip), ip('198.51.100.1')]);
    expect(errors).toEqual([]);
    expect(paths().some((p) => p.startsWith('search'))).toBe(false);
    expect(paths().filter((p) => p === 'hosts')).toHaveLength(2);
  });
});

describe('refer and respond batch their host lookups on v2.5', () => {
  it('refer: one host search for every ip Browse link', async () => {
    const fn = vectraVendor.refer;
    if (!fn) throw new Error('no refer');
    const out = await fn(
      configFor(brain, 'v2.5'),
      [ip(SCENARIO.workstation.ip), ip(SCENARIO.server.ip), ip('198.51.100.7')],
      ctxFor(),
    );
    expect(out.data.map((r) => r.id)).toContain(`ref-vectra-browse-host-${seeded.workstationId}`);
    expect(out.data.map((r) => r.id)).toContain(`ref-vectra-browse-host-${seeded.serverId}`);
    expect(paths()).toEqual(['search/hosts']);
  });
});

describe('batched queries', () => {
  it('split only when a query string would pass MAX_QUERY_CHARS', () => {
    const values = Array.from({ length: 300 }, (_, i) => `2001:db8::${i.toString(16)}`);
    const queries = orQueries('host.last_source', values, (q) => `x AND (${q})`);
    expect(queries.length).toBeGreaterThan(1);
    for (const q of queries) expect(q.length).toBeLessThanOrEqual(MAX_QUERY_CHARS);
    const back = queries.flatMap((q) => [...q.matchAll(/"([^"]+)"/g)].map((m) => m[1]));
    expect(back).toEqual(values);
  });

  it('escape quotes and backslashes inside a value', () => {
    expect(orQueries('host.name', ['a"b\\c'])).toEqual(['host.name:"a\\"b\\\\c"']);
  });
});
