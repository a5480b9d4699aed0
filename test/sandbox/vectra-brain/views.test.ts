/**
 * The fake brain serves linked copies of only the objects it returns, and
 * finds a host's or account's detections through an index kept on add: these
 * pin down that the served forms did not change with that.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeBrain, startFakeBrain } from '../../../src/sandbox/vectra-brain/index.js';

let brain: FakeBrain;
beforeEach(async () => {
  brain = await startFakeBrain({ apiToken: 'views-token-1234567890' });
});
afterEach(() => brain.close());

const get = async (path: string) => {
  const res = await fetch(`${brain.url}/api/v2.5/${path}`, {
    headers: { authorization: 'Token views-token-1234567890' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const link = (path: string) => `${brain.url}/api/v2.5/${path}`;

describe('fake brain served views', () => {
  it('links each host and account to its detections, including detections added later', async () => {
    const h1 = brain.addHost({ name: 'h1' }).id;
    const h2 = brain.addHost({ name: 'h2' }).id;
    const acc = brain.addAccount({ name: 'svc' }).id;
    const d1 = brain.addDetection({ type: 'C2', category: 'COMMAND & CONTROL', hostId: h1 }).id;
    const d2 = brain.addDetection({ type: 'Kerb', category: 'LATERAL MOVEMENT', accountId: acc }).id;
    const d3 = brain.addDetection({ type: 'Scan', category: 'RECONNAISSANCE', hostId: h1 }).id;
    expect((await get(`hosts/${h1}`)).body.detection_set).toEqual([
      link(`detections/${d1}`),
      link(`detections/${d3}`),
    ]);
    expect((await get(`hosts/${h2}`)).body.detection_set).toEqual([]);
    expect((await get(`accounts/${acc}`)).body.detection_set).toEqual([link(`detections/${d2}`)]);
    // A detection re-seeded under the same id for another host moves with it.
    brain.addDetection({ id: d1, type: 'C2', category: 'COMMAND & CONTROL', hostId: h2 });
    expect((await get(`hosts/${h1}`)).body.detection_set).toEqual([link(`detections/${d3}`)]);
    expect((await get(`hosts/${h2}`)).body.detection_set).toEqual([link(`detections/${d1}`)]);
  });

  it('filters and counts over everything, and serves every page linked', async () => {
    for (let i = 0; i < 7; i++) brain.addHost({ name: `h${i}`, tags: i % 2 === 0 ? ['even'] : [] });
    const page2 = (await get('hosts?all=true&tags=even&page_size=3&page=2')).body;
    expect(page2.count).toBe(4);
    const results = page2.results as Array<Record<string, unknown>>;
    expect(results.map((h) => h.name)).toEqual(['h6']);
    expect(results[0]).toMatchObject({
      url: link('hosts/7'),
      host_url: `${brain.url}/hosts/7`,
      detection_set: [],
    });
    const found = (await get('search/hosts?query_string=host.name:"h3"')).body.results as unknown[];
    expect(found).toEqual([expect.objectContaining({ name: 'h3', url: link('hosts/4') })]);
    const det = brain.addDetection({ type: 'C2', category: 'COMMAND & CONTROL' }).id;
    expect(((await get('detections')).body.results as unknown[])[0]).toMatchObject({
      url: link(`detections/${det}`),
      detection_url: link(`detections/${det}`),
    });
  });

  it('never hands out the stored objects', async () => {
    const h = brain.addHost({ name: 'h', tags: ['t'] });
    const before = structuredClone(h);
    await get(`hosts/${h.id}`);
    await get('hosts');
    expect(brain.state.hosts.get(h.id)).toEqual(before);
    expect((await get('hosts/999')).status).toBe(404);
    expect((await get('hosts/x')).status).toBe(404);
  });
});
