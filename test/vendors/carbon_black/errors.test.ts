import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import { RelayError } from '../../../src/kernel/errors.js';
import { configureClient } from '../../../src/vendors/block-clients.js';
import { actions, finHost, type Harness, startHarness, stopHarness } from './harness.js';

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

describe('Carbon Black block client: host matching', () => {
  it('ignores a deregistered sensor that once had the same IP and name', async () => {
    h = await startHarness();
    // Device 9002 is DEREGISTERED with wks-fin-042's IP and name: only 1001 is live.
    expect((await h.client.blockHost(finHost())).pending.map((p) => p.id)).toEqual(['device-1001']);
  });

  it('matches names case-insensitively and without the domain', async () => {
    h = await startHarness();
    const device = h.fake.state.devices.get(1001);
    if (device) device.name = 'CORP\\WKS-FIN-042.corp.example';
    expect((await h.client.blockHost(finHost())).pending.map((p) => p.id)).toEqual(['device-1001']);
  });

  it('several live devices with the host IP and name: state conflict listing them, nothing quarantined', async () => {
    h = await startHarness();
    h.fake.addDevice({
      id: 1500,
      name: 'wks-fin-042',
      last_internal_ip_address: '10.20.30.42',
      os: 'WINDOWS',
      status: 'REGISTERED',
      quarantined: false,
      online: true,
    });
    const err = await failure(h.client.blockHost(finHost()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toContain('1001 (WKS-FIN-042)');
    expect(err.message).toContain('1500 (wks-fin-042)');
    expect(actions(h)).toEqual([]);
  });

  it('more devices at the IP than one page: state conflict, nothing quarantined', async () => {
    h = await startHarness();
    for (let i = 0; i < 25; i++) {
      h.fake.addDevice({
        id: 2000 + i,
        name: `vdi-${i}`,
        last_internal_ip_address: '10.20.30.42',
        os: 'WINDOWS',
        status: 'REGISTERED',
        quarantined: false,
        online: true,
      });
    }
    const err = await failure(h.client.blockHost(finHost()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toContain('27 devices');
    expect(actions(h)).toEqual([]);
  });

  it('a device at the IP with another name: not found naming what was tried', async () => {
    h = await startHarness();
    const err = await failure(h.client.blockHost(finHost({}, { name: 'wks-other', fullName: 'wks-other' })));
    expect(err.code).toBe('not found');
    expect(err.message).toContain('wks-other');
    expect(err.message).toContain('10.20.30.42');
    expect(err.message).toContain('another name');
  });

  it('a host without a current IP: not found, no call', async () => {
    h = await startHarness();
    const err = await failure(h.client.blockHost(finHost({}, { ip: null })));
    expect(err.code).toBe('not found');
    expect(h.fake.calls).toEqual([]);
  });
});

describe('Carbon Black block client: errors', () => {
  it('a wrong secret is an authorization error that never shows the secret', async () => {
    h = await startHarness();
    const client = h.another({ carbon_black_api_secret: 'WRONGSECRETVALUE12345' });
    const err = await failure(client.blockHost(finHost()));
    expect(err.code).toBe('authorization error');
    expect(err.message).not.toContain('WRONGSECRETVALUE12345');
    expect(h.logs.join('\n')).not.toContain('WRONGSECRETVALUE12345');
  });

  it('another org key is refused (403): permission denied', async () => {
    h = await startHarness();
    const err = await failure(h.another({ carbon_black_org_key: 'OTHERORG' }).blockHost(finHost()));
    expect(err.code).toBe('permission denied');
  });

  it.each([
    [403, 'permission denied'],
    [500, 'internal error'],
    [503, 'service unavailable'],
    [429, 'too many requests'],
  ] as const)('a device action answering %i is %s naming the product', async (status, code) => {
    h = await startHarness();
    h.fake.inject(status, { path: 'device_actions', count: 10 });
    const err = await failure(h.client.blockHost(finHost()));
    expect(err.code).toBe(code);
    expect(err.message).toContain('Carbon Black Cloud');
  });

  it('retries a throttled search and then succeeds', async () => {
    h = await startHarness();
    h.fake.inject(429, { path: 'devices/_search', retryAfter: 0 });
    expect((await h.client.blockHost(finHost())).pending).toHaveLength(1);
  });

  it('a 200 that is not the documented search answer is an unknown error', async () => {
    h = await startHarness();
    h.fake.inject(200, { path: 'devices/_search' });
    const err = await failure(h.client.blockHost(finHost()));
    expect(err.code).toBe('unknown');
    expect(err.message).toContain('device search');
  });

  it('health is one cheap authenticated call', async () => {
    h = await startHarness();
    await h.client.health?.();
    expect(h.fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST devices/_search']);
    const err = await failure(h.another({ carbon_black_api_id: 'OTHERID1' }).health?.() ?? Promise.resolve());
    expect(err.code).toBe('authorization error');
  });

  it('the credentials travel only in the X-Auth-Token header and are absent from every log line', async () => {
    h = await startHarness();
    await h.client.blockHost(finHost());
    await h.client.unblockHost(finHost({ pending: ['device-1001'] }));
    expect(h.logs.length).toBeGreaterThan(0);
    expect(h.logs.join('\n')).not.toContain(h.fake.apiSecret);
    expect(JSON.stringify(h.fake.calls)).not.toContain(h.fake.apiSecret);
  });
});

describe('Carbon Black block client: configuration', () => {
  const config = makeConfig();
  const base = {
    block_clients: 'carbon_black',
    carbon_black_url: 'https://defense-prod05.conferdeploy.net',
    carbon_black_org_key: '7DESJ9GN',
    carbon_black_api_id: 'ABCDEFGHIJ',
    carbon_black_api_secret: 'ABCDEFGHIJKLMNOPQRSTUVWX',
  };
  const fails = (over: Record<string, string>) => {
    try {
      configureClient('carbon_black', { ...base, ...over }, config);
    } catch (err) {
      return (err as RelayError).message;
    }
    return 'accepted';
  };

  it('accepts a complete token', () => {
    expect(fails({})).toBe('accepted');
  });

  it.each([
    [{ carbon_black_url: 'http://defense-prod05.conferdeploy.net' }, 'carbon_black_url'],
    [{ carbon_black_url: 'http://127.0.0.1:8080' }, 'carbon_black_url must use https'],
    [{ carbon_black_url: 'https://defense.example/api?x=1' }, 'carbon_black_url must be the bare API host'],
    [{ carbon_black_org_key: '../admin' }, 'carbon_black_org_key is invalid'],
    [{ carbon_black_api_secret: 'has/slash-in-it-12345' }, 'carbon_black_api_secret is invalid'],
    [{ carbon_black_api_id: '' }, 'carbon_black_api_id is missing'],
  ])('refuses %o naming the field, never its value', (over, message) => {
    const m = fails(over);
    expect(m).toContain(message);
    for (const v of Object.values(over)) if (v) expect(m).not.toContain(v);
  });
});
