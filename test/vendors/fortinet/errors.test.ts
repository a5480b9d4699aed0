/**
 * Each error class of the `fortinet` client, named for the firewall, never
 * carrying a credential; the API key only ever in the Authorization header.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import { type FakeFortiGate, FOS_ERRORS, SEED } from '../../../src/sandbox/fortinet/index.js';
import { clientFor, host, members, start } from './harness.js';

let fgt: FakeFortiGate;
beforeEach(async () => {
  fgt = await start();
});
afterEach(async () => {
  await fgt.close();
  await closeUpstreamPools();
});

async function failure(p: Promise<unknown>): Promise<RelayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
}

describe('fortinet errors', () => {
  it('a refused API key is an authorization error naming the firewall, without the key', async () => {
    const { client, lines } = clientFor([fgt], { fortinet_api_key: 'wrongKey0123456789abcdef' });
    const err = await failure(client.blockHost(host()));
    expect(err.code).toBe('authorization error');
    expect(err.message).toContain(new URL(fgt.url).host);
    expect(err.message).not.toContain('wrongKey0123456789abcdef');
    expect(JSON.stringify(lines)).not.toContain('wrongKey0123456789abcdef');
  });

  it('sends the key as a Bearer header, never in the URL', async () => {
    const { client, lines } = clientFor([fgt]);
    await client.blockHost(host());
    expect(fgt.calls.length).toBeGreaterThan(0);
    expect(fgt.calls.every((c) => !c.tokenInQuery && !JSON.stringify(c.query).includes(fgt.apiKey))).toBe(
      true,
    );
    expect(JSON.stringify(lines)).not.toContain(fgt.apiKey);
  });

  it('403 is permission denied naming the profile permission', async () => {
    fgt.inject(403, { count: 5 });
    const err = await failure(clientFor([fgt]).client.blockHost(host()));
    expect(err.code).toBe('permission denied');
    expect(err.message).toMatch(/Firewall > Address/);
  });

  it('a full address table is a state conflict with the FortiOS code', async () => {
    await fgt.close();
    fgt = await start({ maxAddresses: 2 }); // the seed's two admin objects fill it
    const err = await failure(clientFor([fgt]).client.blockHost(host()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toContain(`${FOS_ERRORS.MAX_ENTRIES}`);
  });

  it('an invalid value (-651) is an invalid argument', async () => {
    fgt.inject(500, { error: FOS_ERRORS.INVALID, method: 'POST', pathIncludes: '/member' });
    const err = await failure(clientFor([fgt]).client.blockHost(host()));
    expect(err.code).toBe('invalid argument');
  });

  it('a missing group is not found, naming the group and the VDOM', async () => {
    const { client } = clientFor([fgt], { fortinet_src_group: 'No-Such-Group' });
    const err = await failure(client.blockHost(host()));
    expect(err.code).toBe('not found');
    expect(err.message).toContain('"No-Such-Group" in VDOM root');
  });

  it('workspace mode (an object held by another transaction) is reported as such', async () => {
    fgt.state.locks.set(`addrgrp/${SEED.srcGroup}`, 'alice');
    const err = await failure(clientFor([fgt]).client.blockHost(host()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toMatch(/workspace mode/);
  });

  it('5xx is service unavailable', async () => {
    fgt.inject(503, { count: 100 });
    expect((await failure(clientFor([fgt]).client.blockHost(host()))).code).toBe('service unavailable');
  });

  it('429 is too many requests', async () => {
    fgt.inject(429, { count: 100 });
    expect((await failure(clientFor([fgt]).client.blockHost(host()))).code).toBe('too many requests');
  });

  it('a connection failure names the fortinet_url field', async () => {
    const url = fgt.url;
    await fgt.close();
    const { client } = clientFor([{ ...fgt, url }]);
    const err = await failure(client.blockHost(host()));
    expect(err.code).toBe('connection error');
    expect(err.message).toContain('fortinet_url');
    fgt = await start();
  });

  it('health checks both groups on every firewall', async () => {
    await expect(clientFor([fgt]).client.health?.()).resolves.toBeUndefined();
    const err = await failure(
      clientFor([fgt], { fortinet_dst_group: 'Missing' }).client.health?.() ?? Promise.resolve(),
    );
    expect(err.code).toBe('health check failed');
    expect(err.message).toContain('"Missing"');
  });

  it('refuses a half-configured token by field name', async () => {
    expect(() => clientFor([fgt], { fortinet_vdom: 'a,b' })).toThrow(/fortinet_vdom must hold one value/);
    expect(() => clientFor([fgt], { fortinet_url: 'ftp://x' })).toThrow(/fortinet_url/);
    expect(members(fgt, SEED.srcGroup)).toEqual([SEED.v4.admin]);
  });
});
