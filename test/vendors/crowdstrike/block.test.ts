import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import { RelayError } from '../../../src/kernel/errors.js';
import { FAKE_FALCON_SECRET, makeDevice } from '../../../src/sandbox/crowdstrike/index.js';
import { configureClient } from '../../../src/vendors/block-clients.js';
import { OUR_TAG } from '../../../src/vendors/crowdstrike/actions.js';
import type { CrowdStrikeConfig } from '../../../src/vendors/crowdstrike/config.js';
import { type Harness, startHarness, stopHarness, vectraHost, writes } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
});

const failure = async (p: Promise<unknown>): Promise<RelayError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
};

describe('CrowdStrike block client: containment with pending', () => {
  it('finds the device by FQL, tags it as ours, contains it, and answers pending until it reads contained', async () => {
    h = await startHarness();
    const answer = await h.client.blockHost(vectraHost());
    expect(answer).toEqual({
      inForce: [],
      pending: [{ id: h.wks.device_id, what: expect.stringMatching(/containment_pending/) }],
    });
    const query = h.fake.calls.find((c) => c.path === '/devices/queries/devices/v1');
    expect(new URLSearchParams(query?.query).get('filter')).toBe("local_ip:'10.20.30.42'");
    expect(writes(h)).toEqual(['PATCH tags add', 'POST contain']);
    expect(h.wks.tags).toEqual([OUR_TAG]);

    expect(await h.client.confirm?.(vectraHost(), [h.wks.device_id])).toMatchObject({
      inForce: [],
      failed: [],
    });
    h.fake.settle();
    expect(await h.client.confirm?.(vectraHost(), [h.wks.device_id])).toEqual({
      inForce: [h.wks.device_id],
      pending: [],
      failed: [],
    });
  });

  it('is idempotent: pending and contained devices are answered without a second contain', async () => {
    h = await startHarness();
    await h.client.blockHost(vectraHost());
    expect(
      (await h.client.blockHost(vectraHost({ pending: [h.wks.device_id] }))).pending.map((p) => p.id),
    ).toEqual([h.wks.device_id]);
    h.fake.settle();
    expect((await h.client.blockHost(vectraHost({ blocked: [h.wks.device_id] }))).inForce).toEqual([
      h.wks.device_id,
    ]);
    expect(writes(h)).toEqual(['PATCH tags add', 'POST contain']);
  });

  it('two concurrent blocks send one contain and agree on the element', async () => {
    h = await startHarness();
    const [a, b] = await Promise.all([h.client.blockHost(vectraHost()), h.client.blockHost(vectraHost())]);
    expect(a).toEqual(b);
    expect(writes(h).filter((w) => w === 'POST contain')).toHaveLength(1);
  });

  it("another instance's containment between our read and our contain (Falcon 409) is read back as ours", async () => {
    h = await startHarness();
    h.fake.beforeNext('devices-actions', (s) => s.act('contain', [h?.wks.device_id]));
    const answer = await h.client.blockHost(vectraHost());
    expect(answer.pending.map((p) => p.id)).toEqual([h.wks.device_id]);
  });

  it('confirm reports a containment lifted behind our back as failed', async () => {
    h = await startHarness();
    await h.client.blockHost(vectraHost());
    h.wks.status = 'normal';
    const answer = await h.client.confirm?.(vectraHost(), [h.wks.device_id]);
    expect(answer?.failed).toEqual([{ id: h.wks.device_id, reason: expect.stringMatching(/reads normal/) }]);
  });

  it('unblock lifts our containment and removes our tag; unblocking what is gone is success', async () => {
    h = await startHarness();
    await h.client.blockHost(vectraHost());
    h.fake.settle();
    expect(await h.client.unblockHost(vectraHost({ blocked: [h.wks.device_id] }))).toEqual([h.wks.device_id]);
    expect(h.wks.status).toBe('lift_containment_pending');
    expect(h.wks.tags).toEqual([]);
    h.fake.settle();
    expect(h.wks.status).toBe('normal');
    expect(await h.client.unblockHost(vectraHost({ blocked: [h.wks.device_id] }))).toEqual([h.wks.device_id]);
    expect(await h.client.unblockHost(vectraHost({ blocked: ['ffffffffffffffffffffffffffffffff'] }))).toEqual(
      ['ffffffffffffffffffffffffffffffff'],
    );
    expect(writes(h)).toEqual([
      'PATCH tags add',
      'POST contain',
      'POST lift_containment',
      'PATCH tags remove',
    ]);
  });

  it('a containment still pending cannot be lifted yet: state conflict, the record is kept', async () => {
    h = await startHarness();
    await h.client.blockHost(vectraHost());
    const err = await failure(h.client.unblockHost(vectraHost({ pending: [h.wks.device_id] })));
    expect(err.code).toBe('state conflict');
    expect(err.message).toMatch(/still applying the containment/);
  });

  it('never contains or lifts a device someone else contained', async () => {
    h = await startHarness();
    h.wks.status = 'contained';
    h.wks.tags = ['FalconGroupingTags/ir-team'];
    const err = await failure(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toMatch(/by someone else/);
    expect(await h.client.unblockHost(vectraHost({ blocked: [h.wks.device_id] }))).toEqual([h.wks.device_id]);
    expect(writes(h)).toEqual([]);
    expect(h.wks.status).toBe('contained');
    expect(h.wks.tags).toEqual(['FalconGroupingTags/ir-team']);
  });
});

describe('CrowdStrike block client: host matching', () => {
  it('several devices with the IP and name: state conflict listing them, nothing contained', async () => {
    h = await startHarness();
    h.fake.store.add(
      makeDevice({
        hostname: 'wks-fin-042.corp.example',
        local_ip: '10.20.30.42',
        mac_address: '00-50-56-aa-bb-42',
        device_id: 'b'.repeat(32),
      }),
    );
    const err = await failure(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toContain(h.wks.device_id);
    expect(err.message).toContain('b'.repeat(32));
    expect(writes(h)).toEqual([]);
  });

  it('the MAC decides when the host has one: a reimaged twin with another MAC is not the host', async () => {
    h = await startHarness();
    h.fake.store.add(
      makeDevice({
        hostname: 'wks-fin-042',
        local_ip: '10.20.30.42',
        mac_address: '00-50-56-00-00-99',
        device_id: 'c'.repeat(32),
      }),
    );
    const answer = await h.client.blockHost(vectraHost({ macAddresses: ['00:50:56:AA:BB:42'] }));
    expect(answer.pending.map((p) => p.id)).toEqual([h.wks.device_id]);
  });

  it('no device with the IP and name: not found naming the FQL tried', async () => {
    h = await startHarness();
    const err = await failure(h.client.blockHost(vectraHost({ name: 'wks-other' })));
    expect(err.code).toBe('not found');
    expect(err.message).toMatch(
      /FQL local_ip:'10\.20\.30\.42', hostname wks-other; 1 device\(s\) with that IP/,
    );
  });

  it('a host without a current IP is not found, and nothing is asked', async () => {
    h = await startHarness();
    const err = await failure(h.client.blockHost(vectraHost({ ip: null })));
    expect(err.code).toBe('not found');
    expect(h.fake.calls).toEqual([]);
  });
});

describe('CrowdStrike block client: errors and credentials', () => {
  it('wrong credentials are an authorization error that never shows the secret', async () => {
    h = await startHarness({ claims: { crowdstrike_client_secret: 'wrong-secret-123456' } });
    const err = await failure(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('authorization error');
    expect(err.message).not.toContain('wrong-secret-123456');
  });

  it.each([
    [403, 'permission denied'],
    [429, 'too many requests'],
    [500, 'internal error'],
    [503, 'service unavailable'],
  ])('Falcon %i maps to %s', async (status, code) => {
    h = await startHarness();
    h.fake.inject(status, { count: 10, path: '/devices/queries' });
    const err = await failure(h.client.blockHost(vectraHost()));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(/CrowdStrike Falcon/);
  });

  it('a scope lost between tag and contain is permission denied, and nothing is contained', async () => {
    h = await startHarness();
    h.fake.beforeNext('devices-actions', (s) => {
      void s;
      h?.fake.scopes.delete('hosts:write');
    });
    const err = await failure(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('permission denied');
    expect(h.wks.status).toBe('normal');
  });

  it('the token is cached per credential and renewed once when refused', async () => {
    h = await startHarness();
    await h.client.health?.();
    await h.client.health?.();
    h.fake.expireTokens();
    await h.client.health?.();
    expect(h.fake.calls.filter((c) => c.path === '/oauth2/token')).toHaveLength(2);
  });

  it('credentials travel only in the token request body', async () => {
    h = await startHarness();
    await h.client.blockHost(vectraHost());
    for (const c of h.fake.calls) expect(c.query).not.toContain(FAKE_FALCON_SECRET);
    expect(h.fake.calls[0]?.body).toContain('client_secret=');
    expect(h.fake.calls.slice(1).every((c) => !c.body.includes(FAKE_FALCON_SECRET))).toBe(true);
  });
});

describe('CrowdStrike configuration', () => {
  const base = {
    block_clients: 'crowdstrike',
    crowdstrike_client_id: 'a'.repeat(32),
    crowdstrike_client_secret: 's'.repeat(40),
  };
  const configure = (over: Record<string, string> = {}) =>
    configureClient('crowdstrike', { ...base, ...over }, makeConfig()) as CrowdStrikeConfig;

  it.each([
    ['us-1', 'https://api.crowdstrike.com'],
    ['us-2', 'https://api.us-2.crowdstrike.com'],
    ['eu-1', 'https://api.eu-1.crowdstrike.com'],
    ['us-gov-1', 'https://api.laggar.gcw.crowdstrike.com'],
  ])('region %s defaults the API URL to %s', (region, url) => {
    expect(configure({ crowdstrike_region: region }).apiUrl).toBe(url);
  });

  it('refuses an unknown region, a bad client id and plain http, by field name', () => {
    expect(() => configure({ crowdstrike_region: 'ap-9' })).toThrow(/crowdstrike_region is invalid/);
    expect(() => configure({ crowdstrike_client_id: 'xyz' })).toThrow(/crowdstrike_client_id is invalid/);
    expect(() => configure({ crowdstrike_api_url: 'http://127.0.0.1:1' })).toThrow(
      /crowdstrike_api_url must use https/,
    );
  });
});
