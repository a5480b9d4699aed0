/**
 * Workspace mode (lock, commit, unlock; an administrator's lock is a
 * conflict naming them), session login with logout always, and each error
 * class, with credentials absent from logs and errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import {
  type FakeFortiManager,
  FMG_CODES,
  SEED,
  startFakeFortiManager,
} from '../../../src/sandbox/fortimanager/index.js';
import { clientFor, host, members, writes } from './harness.js';

let fmg: FakeFortiManager;
afterEach(async () => {
  await fmg.close();
  await closeUpstreamPools();
});

const OBJ = 'vectra-relay-198.51.100.42';

async function failure(p: Promise<unknown>): Promise<RelayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
}

describe('fortimanager workspace mode', () => {
  it('locks the ADOM, writes, commits, installs, then unlocks', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0, workspace: true });
    const { client } = clientFor(fmg);
    expect((await client.blockHost(host())).inForce).toEqual(['root/src/198.51.100.42']);
    const seq = fmg.calls.map((c) => c.url.replace('/dvmdb/adom/root/workspace/', 'ws:'));
    const at = (u: string) => seq.indexOf(u);
    expect(at('ws:lock')).toBeGreaterThan(at('ws:lockinfo'));
    expect(at('ws:commit')).toBeGreaterThan(seq.findIndex((u) => u.endsWith('/member')));
    expect(at('/securityconsole/install/package')).toBeGreaterThan(at('ws:commit'));
    expect(at('ws:unlock')).toBeGreaterThan(at('/securityconsole/install/package'));
    expect(fmg.state.adom(SEED.adom).lock).toBeUndefined();
    expect(members(fmg, SEED.srcGroup)).toContain(OBJ);
  });

  it('an ADOM locked by an administrator is a state conflict naming them; nothing is written or broken', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0, workspace: true });
    fmg.lockAdom(SEED.adom, 'alice');
    const err = await failure(clientFor(fmg).client.blockHost(host()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toContain('locked by alice');
    expect(writes(fmg)).toEqual([]);
    expect(fmg.state.adom(SEED.adom).lock?.user).toBe('alice');
  });

  it('a lock taken between our look and our lock is reported the same way', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0, workspace: true });
    fmg.beforeNext('/dvmdb/adom/root/workspace/lock', () => fmg.lockAdom(SEED.adom, 'bob'));
    const err = await failure(clientFor(fmg).client.blockHost(host()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toContain('locked by bob');
  });

  it('a failure before the commit discards the change with the lock', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0, workspace: true });
    fmg.injectCode(FMG_CODES.NO_PERMISSION, '/member');
    const err = await failure(clientFor(fmg).client.blockHost(host()));
    expect(err.code).toBe('permission denied');
    expect(members(fmg, SEED.srcGroup)).toEqual([SEED.v4.admin]);
    expect(fmg.state.adom(SEED.adom).db.address.has(OBJ)).toBe(false);
    expect(fmg.state.adom(SEED.adom).lock).toBeUndefined();
  });
});

describe('fortimanager sessions and credentials', () => {
  it('logs in, carries the session in the body, and always logs out', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    const { client, lines } = clientFor(fmg, { login: true });
    await client.blockHost(host());
    expect(fmg.calls[0]?.url).toBe('/sys/login/user');
    expect(fmg.calls.at(-1)?.url).toBe('/sys/logout');
    expect(fmg.sessions.size).toBe(0);
    expect(JSON.stringify(lines)).not.toContain(fmg.password);
  });

  it('logs out after a failure too', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0, workspace: true });
    fmg.lockAdom(SEED.adom, 'alice');
    await failure(clientFor(fmg, { login: true }).client.blockHost(host()));
    expect(fmg.sessions.size).toBe(0);
  });

  it('a wrong password is an authorization error without the password, and leaves no session', async () => {
    fmg = await startFakeFortiManager();
    const { client, lines } = clientFor(fmg, {
      login: true,
      extra: { fortimanager_password: 'Wrong-Passw0rd-xyz' },
    });
    const err = await failure(client.blockHost(host()));
    expect(err.code).toBe('authorization error');
    expect(err.message).not.toContain('Wrong-Passw0rd-xyz');
    expect(JSON.stringify(lines)).not.toContain('Wrong-Passw0rd-xyz');
    expect(fmg.sessions.size).toBe(0);
  });

  it('a wrong API key is an authorization error; the key only ever goes in the Bearer header', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    await clientFor(fmg).client.blockHost(host());
    expect(fmg.calls.every((c) => c.auth === 'key' && !c.tokenInQuery)).toBe(true);
    const err = await failure(
      clientFor(fmg, { extra: { fortimanager_api_key: 'wrongKey0123456789abcdef' } }).client.blockHost(
        host(),
      ),
    );
    expect(err.code).toBe('authorization error');
    expect(err.message).not.toContain('wrongKey0123456789abcdef');
  });

  it('refuses a token with neither an API key nor a login, by field name', () => {
    fmg = undefined as unknown as FakeFortiManager;
    expect(() =>
      clientFor(
        { url: 'http://127.0.0.1:1', apiKey: '', user: '', password: '' } as unknown as FakeFortiManager,
        {
          extra: { fortimanager_api_key: '' },
        },
      ),
    ).toThrow(/fortimanager_api_key, or fortimanager_username and fortimanager_password, is missing/);
    fmg = { close: async () => undefined } as unknown as FakeFortiManager;
  });
});

describe('fortimanager errors', () => {
  it('no permission (-11) is permission denied', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    fmg.injectCode(FMG_CODES.NO_PERMISSION, '/obj/firewall/addrgrp');
    expect((await failure(clientFor(fmg).client.blockHost(host()))).code).toBe('permission denied');
  });

  it('a missing group is not found naming it and the package', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    const err = await failure(
      clientFor(fmg, { extra: { fortimanager_src_group: 'Nope' } }).client.blockHost(host()),
    );
    expect(err.code).toBe('not found');
    expect(err.message).toContain('"Nope" in ADOM root');
  });

  it('HTTP 503 is service unavailable', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    fmg.injectStatus(503, 10);
    expect((await failure(clientFor(fmg).client.blockHost(host()))).code).toBe('service unavailable');
  });

  it('health reads both groups', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    await expect(clientFor(fmg).client.health?.()).resolves.toBeUndefined();
    const err = await failure(
      clientFor(fmg, { extra: { fortimanager_dst_group: 'Gone' } }).client.health?.() ?? Promise.resolve(),
    );
    expect(err.code).toBe('not found');
  });
});
