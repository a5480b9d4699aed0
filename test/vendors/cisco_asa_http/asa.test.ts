import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import { RelayError } from '../../../src/kernel/errors.js';
import type { VectraDetection } from '../../../src/kernel/model.js';
import {
  type FakeAsa,
  type FakeAsaOptions,
  startFakeAsa,
} from '../../../src/sandbox/cisco_asa_http/index.js';
import { configureClient, createBlockClient } from '../../../src/vendors/block-clients.js';
import { OUR_DESCRIPTION } from '../../../src/vendors/cisco_asa_http/actions.js';
import { makeContext } from '../../helpers/context.js';
import { makeHost } from '../../helpers/objects.js';

const NAME = 'ASA HTTP Client';
let fake: FakeAsa | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(opts: FakeAsaOptions = {}, claims: Record<string, string> = {}) {
  fake = await startFakeAsa(opts);
  const ctx = makeContext({
    claims: {
      cisco_asa_http_url: fake.url,
      cisco_asa_http_username: fake.username,
      cisco_asa_http_password: fake.password,
      cisco_asa_http_group: fake.group,
      ...claims,
    },
  });
  return { fake, client: createBlockClient('cisco_asa_http', ctx) };
}

const detection = (dstIps: string[], blocked: readonly string[] = []): VectraDetection =>
  ({
    kind: 'detection',
    id: 9,
    dstIps,
    blockedElements: blocked.length ? { [NAME]: blocked } : {},
    pendingElements: {},
  }) as unknown as VectraDetection;

async function failure(p: Promise<unknown> | undefined): Promise<RelayError> {
  const err = await (p ?? Promise.resolve()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
}

const configCalls = (f: FakeAsa) => f.calls.filter((c) => c.kind === 'config');

describe('cisco_asa_http block client', () => {
  it('blocks a host with our object in the customer group, saved with one write memory', async () => {
    const { fake, client } = await setup();
    const answer = await client.blockHost(makeHost({ ip: '10.0.0.1' }));
    expect(answer).toEqual({ inForce: ['vectra-relay-10.0.0.1'], pending: [] });
    expect(fake.objects.get('vectra-relay-10.0.0.1')).toEqual({
      host: '10.0.0.1',
      description: OUR_DESCRIPTION,
    });
    expect(fake.snapshot()).toMatchObject({ group: ['host 192.0.2.10', 'object vectra-relay-10.0.0.1'] });
    expect(fake.writes()).toBe(1);
    expect(fake.saved()).toBe(true);
    expect(fake.calls.every((c) => c.userAgent === 'vectra-relay')).toBe(true);
  });

  it('is idempotent: a second block changes and saves nothing', async () => {
    const { fake, client } = await setup();
    const first = await client.blockHost(makeHost({ ip: '10.0.0.1' }));
    const before = fake.calls.length;
    expect(await client.blockHost(makeHost({ ip: '10.0.0.1' }))).toEqual(first);
    expect(fake.calls.slice(before).map((c) => c.kind)).toEqual(['exec', 'exec']);
    expect(fake.writes()).toBe(1);
  });

  it('two concurrent blocks of one address leave one object and one member', async () => {
    const { fake, client } = await setup();
    const [a, b] = await Promise.all([
      client.blockHost(makeHost({ ip: '10.0.0.2' })),
      client.blockHost(makeHost({ ip: '10.0.0.2' })),
    ]);
    expect(a).toEqual(b);
    expect(fake.groups.get(fake.group)?.filter((m) => m === 'object vectra-relay-10.0.0.2')).toHaveLength(1);
  });

  it('blocks 50 destinations in one batch: few config calls and one write memory', async () => {
    const { fake, client } = await setup();
    const ips = Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 1}`);
    const { inForce } = await client.blockDetection(detection(ips));
    expect(inForce).toHaveLength(50);
    expect(configCalls(fake).length).toBeLessThanOrEqual(4);
    expect(fake.writes()).toBe(1);
    expect(fake.groups.get(fake.group)).toHaveLength(51);
  });

  it('names IPv6 objects without colons and maps them back', async () => {
    const { fake, client } = await setup();
    const pairs = await client.blockStaticDstIps({ dstIps: ['2001:DB8::0:1'] } as never);
    expect(pairs).toEqual([{ ip: '2001:db8::1', id: 'vectra-relay-2001_db8__1' }]);
    expect(fake.objects.get('vectra-relay-2001_db8__1')?.host).toBe('2001:db8::1');
    expect(client.ipOf?.('vectra-relay-2001_db8__1')).toBe('2001:db8::1');
    expect(client.ipOf?.('vectra-relay-placeholder')).toBeUndefined();
  });

  it('unblock removes our member and object only, and a second unblock saves nothing', async () => {
    const { fake, client } = await setup();
    fake.configure([
      'object network web-srv',
      'host 10.0.0.3',
      `object-group network ${fake.group}`,
      'network-object object web-srv',
    ]);
    const { inForce } = await client.blockHost(makeHost({ ip: '10.0.0.3' }));
    const host = makeHost({ ip: '10.0.0.3', blockedElements: { [NAME]: inForce } });
    expect(await client.unblockHost(host)).toEqual(inForce);
    expect(fake.snapshot()).toEqual({
      group: ['host 192.0.2.10', 'object web-srv'],
      objects: { 'web-srv': '10.0.0.3' },
    });
    const writes = fake.writes();
    expect(await client.unblockHost(host)).toEqual(inForce);
    expect(fake.writes()).toBe(writes);
  });

  it('keeps the group from going empty with our placeholder, and retires it on the next block', async () => {
    const { fake, client } = await setup();
    fake.configure([`object-group network ${fake.group}`, 'network-object object vectra-relay-x']); // no-op: absent object
    const { inForce } = await client.blockHost(makeHost({ ip: '10.0.0.4' }));
    fake.configure([`object-group network ${fake.group}`, 'no network-object host 192.0.2.10']);
    await client.unblockHost(makeHost({ blockedElements: { [NAME]: inForce } }));
    expect(fake.snapshot()).toMatchObject({ group: ['object vectra-relay-placeholder'] });
    await client.blockHost(makeHost({ ip: '10.0.0.5' }));
    expect(fake.snapshot()).toEqual({
      group: ['object vectra-relay-10.0.0.5'],
      objects: { 'vectra-relay-10.0.0.5': '10.0.0.5' },
    });
  });

  it('refuses to take over an object with our name that it did not create', async () => {
    const { fake, client } = await setup();
    fake.configure(['object network vectra-relay-10.0.0.6', 'host 10.0.0.6', 'description made by hand']);
    expect((await failure(client.blockHost(makeHost({ ip: '10.0.0.6' })))).code).toBe('state conflict');
    expect(fake.groups.get(fake.group)).toEqual(['host 192.0.2.10']);
  });

  it('a missing group is not found, and nothing is created', async () => {
    const { fake, client } = await setup({}, { cisco_asa_http_group: 'NO_SUCH_GROUP' });
    const err = await failure(client.blockHost(makeHost({ ip: '10.0.0.7' })));
    expect(err.code).toBe('not found');
    expect(err.message).toContain('NO_SUCH_GROUP');
    expect(fake.objects.size).toBe(0);
  });

  it('health is one exec call', async () => {
    const { fake, client } = await setup();
    await client.health?.();
    expect(fake.calls.map((c) => c.commands)).toEqual([['show version']]);
  });
});

describe('cisco_asa_http errors', () => {
  it('a wrong password is an authorization error that never shows it', async () => {
    const { client } = await setup({}, { cisco_asa_http_password: 'Wrong-password-42' });
    const err = await failure(client.blockHost(makeHost({ ip: '10.0.0.1' })));
    expect(err.code).toBe('authorization error');
    expect(err.message).not.toContain('Wrong-password');
  });

  it('a User-Agent the ASA does not allow Basic auth from is an authorization error naming it', async () => {
    const { client } = await setup({}, { cisco_asa_http_user_agent: 'curl/8.0' });
    const err = await failure(client.health?.());
    expect(err.code).toBe('authorization error');
    expect(err.message).toContain('curl/8.0');
  });

  it('a user below privilege 15 is permission denied and nothing changes', async () => {
    const { fake, client } = await setup(
      {},
      { cisco_asa_http_username: 'monitor', cisco_asa_http_password: 'Monitor-pw-1' },
    );
    fake.addUser('monitor', 'Monitor-pw-1', 5);
    expect((await failure(client.blockHost(makeHost({ ip: '10.0.0.1' })))).code).toBe('permission denied');
    expect(fake.objects.size).toBe(0);
  });

  it('the object limit is a state conflict', async () => {
    const { client } = await setup({ maxObjects: 1 });
    const err = await failure(client.blockDetection(detection(['203.0.113.1', '203.0.113.2'])));
    expect(err.code).toBe('state conflict');
  });

  it.each([
    [500, 'internal error'],
    [503, 'service unavailable'],
  ])('HTTP %s is %s', async (status, code) => {
    const { fake, client } = await setup();
    fake.injectStatus(status, 10);
    expect((await failure(client.blockHost(makeHost({ ip: '10.0.0.1' })))).code).toBe(code);
  });

  it('configuration: the group is the customer’s, https, named by field', () => {
    const config = makeConfig({ allowLoopbackUpstreams: false });
    const base = {
      cisco_asa_http_url: 'https://asa.example',
      cisco_asa_http_username: 'u',
      cisco_asa_http_password: 'p',
      cisco_asa_http_group: 'VECTRA_BLOCK',
    };
    const bad = (claims: Record<string, string>) => {
      try {
        configureClient('cisco_asa_http', claims, config);
      } catch (e) {
        return (e as RelayError).message;
      }
      return 'accepted';
    };
    expect(bad({ ...base, cisco_asa_http_group: 'vectra-relay-x' })).toMatch(/cisco_asa_http_group/);
    expect(bad({ ...base, cisco_asa_http_group: 'has space' })).toMatch(/cisco_asa_http_group is invalid/);
    expect(bad({ ...base, cisco_asa_http_url: 'http://127.0.0.1:1' })).toMatch(/must use https/);
    expect(bad(base)).toBe('accepted');
  });
});
