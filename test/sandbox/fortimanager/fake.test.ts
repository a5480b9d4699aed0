/** The fake FortiManager refuses what FortiManager refuses (README.md in src/sandbox/fortimanager names the sources). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeFortiManager,
  FMG_CODES,
  SEED,
  startFakeFortiManager,
} from '../../../src/sandbox/fortimanager/index.js';

let fmg: FakeFortiManager;
beforeAll(async () => {
  fmg = await startFakeFortiManager({ workspace: true });
});
afterAll(async () => {
  await fmg.close();
});

async function rpc(method: string, url: string, data?: unknown, session?: string) {
  const res = await fetch(`${fmg.url}/jsonrpc`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(session ? {} : { authorization: `Bearer ${fmg.apiKey}` }),
    },
    body: JSON.stringify({
      id: 1,
      method,
      params: [{ url, ...(data === undefined ? {} : { data }) }],
      ...(session ? { session } : {}),
    }),
  });
  const body = (await res.json()) as { result: [{ status: { code: number } }]; session?: string };
  return { code: body.result[0].status.code, session: body.session };
}

const obj = (p: string) => `/pm/config/adom/root/obj/firewall/${p}`;

describe('fake FortiManager', () => {
  it('refuses writes to a workspace ADOM that is not locked by the caller', async () => {
    expect(
      (await rpc('add', obj('address'), { name: 'x', subnet: ['10.0.0.1', '255.255.255.255'] })).code,
    ).toBe(FMG_CODES.LOCKED);
  });

  it('refuses to lock an ADOM locked by someone else', async () => {
    fmg.lockAdom(SEED.adom, 'alice');
    expect((await rpc('exec', '/dvmdb/adom/root/workspace/lock')).code).toBe(FMG_CODES.LOCKED);
    fmg.state.adom(SEED.adom).lock = undefined;
  });

  it('under our lock: refuses a duplicate name, a missing member, an empty group; unlock discards', async () => {
    expect((await rpc('exec', '/dvmdb/adom/root/workspace/lock')).code).toBe(0);
    expect(
      (await rpc('add', obj('address'), { name: SEED.v4.admin, subnet: ['10.0.0.1', '255.255.255.255'] }))
        .code,
    ).toBe(FMG_CODES.EXISTS);
    expect((await rpc('add', obj(`addrgrp/${SEED.srcGroup}/member`), ['nope'])).code).toBe(
      FMG_CODES.DEPENDENCY,
    );
    expect((await rpc('delete', obj(`addrgrp/${SEED.srcGroup}/member`), [SEED.v4.admin])).code).toBe(
      FMG_CODES.INVALID_DATA,
    );
    expect(
      (await rpc('add', obj('address'), { name: 'draft-only', subnet: ['10.0.0.2', '255.255.255.255'] }))
        .code,
    ).toBe(0);
    expect((await rpc('exec', '/dvmdb/adom/root/workspace/unlock')).code).toBe(0);
    expect(fmg.state.adom(SEED.adom).db.address.has('draft-only')).toBe(false);
  });

  it('sessions: a refused login, no session, and logout ends it', async () => {
    const bad = await fetch(`${fmg.url}/jsonrpc`, {
      method: 'POST',
      body: JSON.stringify({
        id: 1,
        method: 'exec',
        params: [{ url: '/sys/login/user', data: { user: fmg.user, passwd: 'x' } }],
      }),
    });
    expect(((await bad.json()) as { result: [{ status: { code: number } }] }).result[0].status.code).toBe(
      FMG_CODES.LOGIN_FAILED,
    );
    const ok = await fetch(`${fmg.url}/jsonrpc`, {
      method: 'POST',
      body: JSON.stringify({
        id: 1,
        method: 'exec',
        params: [{ url: '/sys/login/user', data: { user: fmg.user, passwd: fmg.password } }],
      }),
    });
    const session = ((await ok.json()) as { session: string }).session;
    expect((await rpc('get', '/dvmdb/adom/root/workspace/lockinfo', undefined, session)).code).toBe(0);
    await rpc('exec', '/sys/logout', undefined, session);
    expect((await rpc('get', '/dvmdb/adom/root/workspace/lockinfo', undefined, session)).code).toBe(
      FMG_CODES.NO_PERMISSION,
    );
  });
});
