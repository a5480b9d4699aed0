import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import { RelayError } from '../../../src/kernel/errors.js';
import type { VectraDetection } from '../../../src/kernel/model.js';
import { type FakePan, type FakePanOptions, startFakePan } from '../../../src/sandbox/pan/index.js';
import { configureClient, createBlockClient } from '../../../src/vendors/block-clients.js';
import { makeContext } from '../../helpers/context.js';
import { makeHost } from '../../helpers/objects.js';

const NAME = 'PAN Client';
let fake: FakePan | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(opts: FakePanOptions = {}, claims: Record<string, string> = {}) {
  fake = await startFakePan(opts);
  const ctx = makeContext({
    claims: { block_clients: 'pan', pan_url: fake.url, pan_api_key: fake.apiKey, ...claims },
  });
  return { fake, client: createBlockClient('pan', ctx) };
}

const detection = (dstIps: string[], blocked: readonly string[] = []): VectraDetection =>
  ({
    kind: 'detection',
    id: 9,
    dstIps,
    blockedElements: blocked.length ? { [NAME]: blocked } : {},
    pendingElements: {},
  }) as unknown as VectraDetection;

async function failure(p: Promise<unknown>): Promise<RelayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
}

describe('pan block client', () => {
  it('blocks a host by registering our host tag, in force at once and with no commit', async () => {
    const { fake, client } = await setup();
    const answer = await client.blockHost(makeHost({ ip: '10.0.0.1' }));
    expect(answer).toEqual({ inForce: ['vectra-relay-block-host:10.0.0.1'], pending: [] });
    expect(fake.tagsOf('10.0.0.1')).toEqual(['vectra-relay-block-host']);
    expect(fake.calls.map((c) => c.type)).toEqual(['user-id']);
    expect(fake.calls.every((c) => !c.keyInUrl && c.method === 'POST')).toBe(true);
  });

  it('is idempotent: a second block answers the same ids and registers nothing new', async () => {
    const { fake, client } = await setup();
    const first = await client.blockHost(makeHost({ ip: '10.0.0.1' }));
    const second = await client.blockHost(makeHost({ ip: '10.0.0.1' }));
    expect(second).toEqual(first);
    expect(fake.snapshot().self?.vsys1).toEqual(['10.0.0.1 vectra-relay-block-host']);
  });

  it('two concurrent blocks of one address both succeed with one registration', async () => {
    const { fake, client } = await setup();
    const [a, b] = await Promise.all([
      client.blockHost(makeHost({ ip: '10.0.0.2' })),
      client.blockHost(makeHost({ ip: '10.0.0.2' })),
    ]);
    expect(a).toEqual(b);
    expect(fake.snapshot().self?.vsys1).toEqual(['10.0.0.2 vectra-relay-block-host']);
  });

  it('unblock removes only our tag: other tags on the address stay, and a second unblock succeeds', async () => {
    const { fake, client } = await setup();
    fake.addForeign('10.0.0.3', 'quarantine-by-soc');
    fake.addForeign('10.0.0.4', 'vectra-relay-block-dst');
    const { inForce } = await client.blockHost(makeHost({ ip: '10.0.0.3' }));
    const host = makeHost({ ip: '10.0.0.3', blockedElements: { [NAME]: inForce } });
    expect(await client.unblockHost(host)).toEqual(inForce);
    expect(fake.tagsOf('10.0.0.3')).toEqual(['quarantine-by-soc']);
    expect(fake.tagsOf('10.0.0.4')).toEqual(['vectra-relay-block-dst']);
    expect(await client.unblockHost(host)).toEqual(inForce);
  });

  it('blocks detections and static lists with the destination tag, IPv6 canonical', async () => {
    const { fake, client } = await setup();
    const d = await client.blockDetection(detection(['203.0.113.9', '2001:DB8:0:0::1']));
    expect(d.inForce).toEqual(['vectra-relay-block-dst:203.0.113.9', 'vectra-relay-block-dst:2001:db8::1']);
    expect(fake.tagsOf('2001:db8::1')).toEqual(['vectra-relay-block-dst']);
    const statics = await client.blockStaticDstIps({ dstIps: ['198.51.100.5/32'] } as never);
    expect(statics).toEqual([{ ip: '198.51.100.5', id: 'vectra-relay-block-dst:198.51.100.5' }]);
    expect(client.ipOf?.('vectra-relay-block-dst:2001:db8::1')).toBe('2001:db8::1');
    await client.unblockDetection(detection([], d.inForce));
    await client.unblockStaticDstIps({ dstIps: ['198.51.100.5'] } as never);
    expect(fake.snapshot().self?.vsys1).toEqual([]);
  });

  it('refuses ranges: a registration holds one address', async () => {
    const { fake, client } = await setup();
    const err = await failure(client.blockStaticDstIps({ dstIps: ['198.51.100.0/24'] } as never));
    expect(err.code).toBe('invalid argument');
    expect(fake.calls).toHaveLength(0);
  });

  it('grooms a host whose address changed since its block', async () => {
    const { client } = await setup();
    const old = { [NAME]: ['vectra-relay-block-host:10.0.0.5'] };
    expect(await client.groomHost(makeHost({ ip: '10.0.0.6', blockedElements: old }))).toEqual({
      block: true,
      unblock: true,
    });
    expect(await client.groomHost(makeHost({ ip: '10.0.0.5', blockedElements: old }))).toEqual({
      block: false,
      unblock: false,
    });
  });

  it('through Panorama registers on every target firewall, and a retry repairs a firewall that was down', async () => {
    const { fake, client } = await setup(
      { panoramaSerials: ['007051000100001', '007051000100002'] },
      { pan_targets: '007051000100001,007051000100002' },
    );
    fake.device('007051000100002').connected = false;
    const err = await failure(client.blockHost(makeHost({ ip: '10.0.0.7' })));
    expect(err.message).toContain('007051000100002');
    expect(fake.tagsOf('10.0.0.7', '007051000100001')).toEqual(['vectra-relay-block-host']);
    fake.device('007051000100002').connected = true;
    await client.blockHost(makeHost({ ip: '10.0.0.7' }));
    expect(fake.tagsOf('10.0.0.7', '007051000100002')).toEqual(['vectra-relay-block-host']);
    expect(fake.tagsOf('10.0.0.7')).toEqual([]); // nothing registered on Panorama itself
    expect(new Set(fake.calls.map((c) => c.target))).toEqual(new Set(['007051000100001', '007051000100002']));
  });

  it('health is one op call per firewall', async () => {
    const { fake, client } = await setup();
    await client.health?.();
    expect(fake.calls.map((c) => c.type)).toEqual(['op']);
  });
});

describe('pan errors', () => {
  it('a wrong key is an authorization error that never shows the key', async () => {
    fake = await startFakePan();
    const ctx = makeContext({ claims: { pan_url: fake.url, pan_api_key: 'wrong-key-0123456789' } });
    const err = await failure(createBlockClient('pan', ctx).blockHost(makeHost({ ip: '10.0.0.1' })));
    expect(err.code).toBe('authorization error');
    expect(err.message).not.toContain('wrong-key');
  });

  it('a role without the User-ID permission is permission denied', async () => {
    fake = await startFakePan();
    fake.addRestrictedKey('restricted-key-0123456789');
    const ctx = makeContext({ claims: { pan_url: fake.url, pan_api_key: 'restricted-key-0123456789' } });
    const err = await failure(createBlockClient('pan', ctx).health?.() ?? Promise.resolve());
    expect(err.code).toBe('permission denied');
  });

  it('an unknown vsys is not found', async () => {
    const { client } = await setup({}, { pan_vsys: 'vsys9' });
    expect((await failure(client.blockHost(makeHost({ ip: '10.0.0.1' })))).code).toBe('not found');
  });

  it('the registered-IP limit is a state conflict with the count', async () => {
    const { client } = await setup({ limit: 1 });
    const err = await failure(client.blockDetection(detection(['203.0.113.1', '203.0.113.2'])));
    expect(err.code).toBe('state conflict');
    expect(err.message).toMatch(/1 of 2 addresses/);
  });

  it.each([
    ['2', 'internal error'],
    ['13', 'state conflict'],
    ['17', 'invalid argument'],
    ['22', 'authorization error'],
  ])('XML API code %s is %s', async (code, expected) => {
    const { fake, client } = await setup();
    fake.injectCode(code);
    const err = await failure(client.blockHost(makeHost({ ip: '10.0.0.1' })));
    expect(err.code).toBe(expected);
    expect(err.message).not.toContain(fake.apiKey);
  });

  it('an unavailable management plane is service unavailable after retries', async () => {
    const { fake, client } = await setup();
    fake.injectHttp(503, 10);
    expect((await failure(client.health?.() ?? Promise.resolve())).code).toBe('service unavailable');
  });

  it('configuration: our tag prefix, distinct tags and https are required, named by field', () => {
    const config = makeConfig({ allowLoopbackUpstreams: false });
    const base = { pan_url: 'https://fw.example', pan_api_key: 'k'.repeat(20) };
    const bad = (claims: Record<string, string>) => {
      try {
        configureClient('pan', claims, config);
      } catch (e) {
        return (e as RelayError).message;
      }
      return 'accepted';
    };
    expect(bad({ ...base, pan_host_tag: 'block' })).toMatch(/pan_host_tag is invalid/);
    expect(bad({ ...base, pan_detection_tag: 'vectra-relay-block-host' })).toMatch(/pan_detection_tag/);
    expect(bad({ ...base, pan_url: 'http://127.0.0.1:1' })).toMatch(/pan_url must use https/);
    expect(bad({ ...base, pan_targets: 'not a serial' })).toMatch(/pan_targets is invalid/);
    expect(bad(base)).toBe('accepted');
  });
});
