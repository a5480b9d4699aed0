import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import { RelayError } from '../../../src/kernel/errors.js';
import type { VectraDetection } from '../../../src/kernel/model.js';
import {
  type FakeFmc,
  type FakeFmcOptions,
  LAB_DOMAIN,
  startFakeFmc,
} from '../../../src/sandbox/cisco_fmc/index.js';
import { configureClient, createBlockClient } from '../../../src/vendors/block-clients.js';
import { fmcLimits, resetFmcState } from '../../../src/vendors/cisco_fmc/auth.js';
import { forgetFmcObjects, OUR_DESCRIPTION } from '../../../src/vendors/cisco_fmc/client.js';
import { makeContext } from '../../helpers/context.js';
import { makeHost } from '../../helpers/objects.js';

const NAME = 'FMC Client';
const HOSTS = 'vectra-relay-block-hosts';
const defaults = { ...fmcLimits };
let fake: FakeFmc | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  Object.assign(fmcLimits, defaults);
  resetFmcState();
  forgetFmcObjects();
});

async function setup(opts: FakeFmcOptions = {}, claims: Record<string, string> = {}) {
  fake = await startFakeFmc(opts);
  const client = () =>
    createBlockClient(
      'cisco_fmc',
      makeContext({
        claims: {
          cisco_fmc_url: fake?.url ?? '',
          cisco_fmc_username: fake?.username ?? '',
          cisco_fmc_password: fake?.password ?? '',
          ...claims,
        },
      }),
    );
  return { fake, client: client(), another: client };
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

const count = (f: FakeFmc, part: string) => f.calls.filter((c) => c.path.includes(part)).length;

describe('cisco_fmc block client', () => {
  it('blocks a host by mapping it into our dynamic object, in force with no deployment', async () => {
    const { fake, client } = await setup();
    const answer = await client.blockHost(makeHost({ ip: '10.0.0.1' }));
    expect(answer).toEqual({ inForce: [`${HOSTS}:10.0.0.1`], pending: [] });
    expect(fake.object(HOSTS)?.description).toBe(OUR_DESCRIPTION);
    expect(fake.snapshot().Global).toEqual({ [HOSTS]: ['10.0.0.1'] });
    expect(fake.calls.some((c) => c.path.includes('deployment'))).toBe(false);
  });

  it('is idempotent and reuses its token and object id', async () => {
    const { fake, client, another } = await setup();
    const first = await client.blockHost(makeHost({ ip: '10.0.0.1' }));
    const second = await another().blockHost(makeHost({ ip: '10.0.0.1' }));
    expect(second).toEqual(first);
    expect(fake.objects()).toHaveLength(1);
    expect(count(fake, 'generatetoken')).toBe(1);
    expect(count(fake, 'object/dynamicobjects?')).toBe(1); // one listing, then the cached id
  });

  it('two concurrent blocks of one address by two relays create one object and one mapping', async () => {
    const { fake, client, another } = await setup();
    const [a, b] = await Promise.all([
      client.blockHost(makeHost({ ip: '10.0.0.2' })),
      another().blockHost(makeHost({ ip: '10.0.0.2' })),
    ]);
    expect(a).toEqual(b);
    expect(fake.objects().map((o) => o.name)).toEqual([HOSTS]);
    expect(fake.snapshot().Global?.[HOSTS]).toEqual(['10.0.0.2']);
  });

  it('never touches objects it did not create', async () => {
    const { fake, client } = await setup();
    fake.addForeign('Marketing', ['10.9.9.9']);
    fake.addForeign(HOSTS, ['10.8.8.8'], { description: 'made by an admin' });
    const err = await failure(client.blockHost(makeHost({ ip: '10.0.0.3' })));
    expect(err.code).toBe('state conflict');
    expect(err.message).toContain(HOSTS);
    expect(fake.snapshot().Global).toEqual({ Marketing: ['10.9.9.9'], [HOSTS]: ['10.8.8.8'] });
    const host = makeHost({ blockedElements: { [NAME]: [`${HOSTS}:10.8.8.8`] } });
    expect((await failure(client.unblockHost(host))).code).toBe('state conflict');
    expect(fake.snapshot().Global).toEqual({ Marketing: ['10.9.9.9'], [HOSTS]: ['10.8.8.8'] });
  });

  it('unblock removes only its mapping, twice is fine, and a deleted object is nothing to remove', async () => {
    const { fake, client } = await setup();
    fake.addForeign('Marketing', ['10.0.0.4']);
    const { inForce } = await client.blockHost(makeHost({ ip: '10.0.0.4' }));
    await client.blockHost(makeHost({ ip: '10.0.0.5' }));
    const host = makeHost({ ip: '10.0.0.4', blockedElements: { [NAME]: inForce } });
    expect(await client.unblockHost(host)).toEqual(inForce);
    expect(await client.unblockHost(host)).toEqual(inForce);
    expect(fake.snapshot().Global).toEqual({ Marketing: ['10.0.0.4'], [HOSTS]: ['10.0.0.5'] });
    fake.deleteObject(HOSTS);
    expect(await client.unblockHost(host)).toEqual(inForce);
  });

  it('recreates its object when an admin deleted it after it was cached', async () => {
    const { fake, client } = await setup();
    await client.blockHost(makeHost({ ip: '10.0.0.6' }));
    fake.deleteObject(HOSTS);
    await client.blockHost(makeHost({ ip: '10.0.0.7' }));
    expect(fake.snapshot().Global?.[HOSTS]).toEqual(['10.0.0.7']);
  });

  it('blocks detections and static lists in the destination object, IPv6 canonical', async () => {
    const { fake, client } = await setup();
    const d = await client.blockDetection(detection(['203.0.113.9', '2001:DB8::0:1']));
    expect(d.inForce).toEqual(['vectra-relay-block-dst:203.0.113.9', 'vectra-relay-block-dst:2001:db8::1']);
    const s = await client.blockStaticDstIps({ dstIps: ['198.51.100.5'] } as never);
    expect(s).toEqual([{ ip: '198.51.100.5', id: 'vectra-relay-block-dst:198.51.100.5' }]);
    await client.unblockDetection(detection([], d.inForce));
    await client.unblockStaticDstIps({ dstIps: ['198.51.100.5'] } as never);
    expect(fake.snapshot().Global?.['vectra-relay-block-dst']).toEqual([]);
    expect(client.ipOf?.('vectra-relay-block-dst:2001:db8::1')).toBe('2001:db8::1');
  });

  it('uses the named domain', async () => {
    const { fake, client } = await setup({}, { cisco_fmc_domain: 'Global/Lab' });
    await client.blockHost(makeHost({ ip: '10.0.0.8' }));
    expect(fake.object(HOSTS, LAB_DOMAIN)).toBeDefined();
    expect(fake.object(HOSTS)).toBeUndefined();
  });
});

describe('cisco_fmc tokens and pacing', () => {
  it('an expired token is replaced once and the call succeeds', async () => {
    const { fake, client } = await setup();
    await client.blockHost(makeHost({ ip: '10.0.0.1' }));
    fake.expireTokens();
    await client.blockHost(makeHost({ ip: '10.0.0.2' }));
    expect(count(fake, 'generatetoken')).toBe(2);
    expect(fake.calls.filter((c) => c.status === 401)).toHaveLength(1);
  });

  it('refreshes a token past its lifetime three times, then generates a new one', async () => {
    fmcLimits.tokenLifetimeMs = 0;
    fmcLimits.tokenMarginMs = 0;
    const { fake, client } = await setup();
    for (let i = 0; i < 5; i++) await client.health?.();
    expect(count(fake, 'refreshtoken')).toBe(3);
    expect(count(fake, 'generatetoken')).toBe(2);
  });

  it('paces a burst below the rate limit instead of collecting 429s', async () => {
    fmcLimits.callsPerWindow = 5; // a margin below the fake, as 110 is below FMC's 120
    fmcLimits.windowMs = 400;
    const { fake, client } = await setup({ rateLimit: 6, rateWindowMs: 400 });
    for (let i = 0; i < 6; i++) await client.blockHost(makeHost({ ip: `10.0.1.${i}` }));
    expect(fake.calls.filter((c) => c.status === 429)).toHaveLength(0);
    expect(fake.snapshot().Global?.[HOSTS]).toHaveLength(6);
  });

  it('a rate limit it cannot wait out is too many requests', async () => {
    const { client } = await setup({ rateLimit: 2 });
    expect((await failure(client.blockHost(makeHost({ ip: '10.0.0.1' })))).code).toBe('too many requests');
  });
});

describe('cisco_fmc errors', () => {
  it('a wrong password is an authorization error that never shows it', async () => {
    fake = await startFakeFmc();
    const ctx = makeContext({
      claims: {
        cisco_fmc_url: fake.url,
        cisco_fmc_username: fake.username,
        cisco_fmc_password: 'Wrong-password-123',
      },
    });
    const err = await failure(createBlockClient('cisco_fmc', ctx).blockHost(makeHost({ ip: '10.0.0.1' })));
    expect(err.code).toBe('authorization error');
    expect(err.message).not.toContain('Wrong-password');
  });

  it('a role that cannot modify objects is permission denied', async () => {
    fake = await startFakeFmc();
    fake.addReadOnlyUser('auditor', 'Auditor-password-1');
    const ctx = makeContext({
      claims: {
        cisco_fmc_url: fake.url,
        cisco_fmc_username: 'auditor',
        cisco_fmc_password: 'Auditor-password-1',
      },
    });
    const err = await failure(createBlockClient('cisco_fmc', ctx).blockHost(makeHost({ ip: '10.0.0.1' })));
    expect(err.code).toBe('permission denied');
  });

  it('an unknown domain is not found', async () => {
    const { client } = await setup({}, { cisco_fmc_domain: 'Global/Nowhere' });
    expect((await failure(client.blockHost(makeHost({ ip: '10.0.0.1' })))).code).toBe('not found');
  });

  it.each([
    [500, 'internal error'],
    [503, 'service unavailable'],
  ])('HTTP %s is %s', async (status, code) => {
    const { fake, client } = await setup();
    fake.injectStatus(status, 10, 'dynamicobject');
    const err = await failure(client.blockHost(makeHost({ ip: '10.0.0.1' })));
    expect(err.code).toBe(code);
    expect(err.message).not.toContain(fake.password);
  });

  it('an object FMC refuses to create is an error, never a silent success', async () => {
    const { fake, client } = await setup();
    fake.injectStatus(400, 1, 'object/dynamicobjects', 'POST');
    const err = await failure(client.blockHost(makeHost({ ip: '10.0.0.1' })));
    expect(err.code).toBe('invalid argument');
    expect(fake.objects()).toHaveLength(0);
  });

  it('configuration: our prefix, FMC name rule, distinct objects and https, named by field', () => {
    const config = makeConfig({ allowLoopbackUpstreams: false });
    const base = { cisco_fmc_url: 'https://fmc.example', cisco_fmc_username: 'u', cisco_fmc_password: 'p' };
    const bad = (claims: Record<string, string>) => {
      try {
        configureClient('cisco_fmc', claims, config);
      } catch (e) {
        return (e as RelayError).message;
      }
      return 'accepted';
    };
    expect(bad({ ...base, cisco_fmc_host_object: 'blocked-hosts' })).toMatch(
      /cisco_fmc_host_object is invalid/,
    );
    expect(bad({ ...base, cisco_fmc_host_object: 'vectra-relay-a b' })).toMatch(
      /cisco_fmc_host_object is invalid/,
    );
    expect(bad({ ...base, cisco_fmc_detection_object: HOSTS })).toMatch(/cisco_fmc_detection_object/);
    expect(bad({ ...base, cisco_fmc_url: 'http://127.0.0.1:1' })).toMatch(/must use https/);
    expect(bad(base)).toBe('accepted');
  });
});
