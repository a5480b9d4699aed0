/** The fake FortiGate refuses what FortiOS refuses (README.md in src/sandbox/fortinet names the sources). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeFortiGate,
  FOS_ERRORS,
  SEED,
  startFakeFortiGate,
} from '../../../src/sandbox/fortinet/index.js';

let fgt: FakeFortiGate;
beforeAll(async () => {
  fgt = await startFakeFortiGate();
});
afterAll(async () => {
  await fgt.close();
});

async function call(method: string, path: string, body?: unknown, key = fgt.apiKey) {
  const res = await fetch(
    `${fgt.url}/api/v2/cmdb/firewall/${path}${path.includes('?') ? '&' : '?'}vdom=root`,
    {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
  );
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as { error?: number; results?: unknown[] }) : {},
  };
}

describe('fake FortiGate', () => {
  it('refuses a wrong key with 401', async () => {
    expect((await call('GET', 'address', undefined, 'nope-nope-nope-nope')).status).toBe(401);
  });

  it('refuses a duplicate name (-5)', async () => {
    const r = await call('POST', 'address', { name: SEED.v4.admin, subnet: '10.0.0.1/32' });
    expect(r).toMatchObject({ status: 500, body: { error: FOS_ERRORS.EXISTS, status: 'error' } });
  });

  it('refuses a member that does not exist (-3) and a member twice (-5)', async () => {
    expect(
      (await call('POST', `addrgrp/${SEED.srcGroup}/member`, { name: 'no-such-address' })).body.error,
    ).toBe(FOS_ERRORS.NOT_FOUND);
    expect((await call('POST', `addrgrp/${SEED.srcGroup}/member`, { name: SEED.v4.admin })).body.error).toBe(
      FOS_ERRORS.EXISTS,
    );
  });

  it('refuses to empty a group, by the member sub-table or by a PUT (-56)', async () => {
    expect((await call('DELETE', `addrgrp/${SEED.srcGroup}/member/${SEED.v4.admin}`)).body.error).toBe(
      FOS_ERRORS.EMPTY,
    );
    expect((await call('PUT', `addrgrp/${SEED.srcGroup}`, { member: [] })).body.error).toBe(FOS_ERRORS.EMPTY);
  });

  it('refuses to delete an address a group uses (-23), and an IPv4 member in an addrgrp6', async () => {
    expect((await call('DELETE', `address/${SEED.v4.admin}`)).body.error).toBe(FOS_ERRORS.IN_USE);
    expect((await call('POST', `addrgrp6/${SEED.srcGroup}/member`, { name: SEED.v4.admin })).body.error).toBe(
      FOS_ERRORS.NOT_FOUND,
    );
  });

  it('refuses an invalid subnet (-651) and answers 404 for an unknown object', async () => {
    expect((await call('POST', 'address', { name: 'x', subnet: '300.1.1.1/32' })).body.error).toBe(
      FOS_ERRORS.INVALID,
    );
    expect((await call('GET', 'address/nothing-here')).status).toBe(404);
  });

  it('filters and formats lists as FortiOS does', async () => {
    const r = await call('GET', 'address?filter=name=@quarantine&format=name');
    expect(r.body.results).toEqual([{ name: SEED.v4.admin }]);
  });
});
