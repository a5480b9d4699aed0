/**
 * The `fortinet` client through its real HTTP client against the fake
 * FortiGate: what a block creates, idempotency, races, foreign objects,
 * the placeholder member, IPv6, and unblock releasing exactly what it blocked.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeFortiGate } from '../../../src/sandbox/fortinet/index.js';
import { SEED } from '../../../src/sandbox/fortinet/index.js';
import {
  clientFor,
  detection,
  hasAddress,
  heldByDetection,
  host,
  members,
  NAME,
  recordingLog,
  start,
  writes,
} from './harness.js';

let fgt: FakeFortiGate;
beforeEach(async () => {
  fgt = await start();
});
afterEach(async () => {
  await fgt.close();
});

const ID = (ip: string, side = 'src') => `${new URL(fgt.url).host}/root/${side}/${ip}`;

describe('fortinet block host', () => {
  it('creates our address object and adds it to the source group through the member sub-table', async () => {
    const { client } = clientFor([fgt]);
    const answer = await client.blockHost(host());
    expect(answer).toEqual({ inForce: [ID('198.51.100.42')], pending: [] });
    const obj = fgt.state.get('root', 'address', 'vectra-relay-198.51.100.42');
    expect(obj.subnet).toBe('198.51.100.42 255.255.255.255');
    expect(obj.comment).toMatch(/Vectra XDR relay/);
    expect(members(fgt, SEED.srcGroup)).toEqual([
      SEED.v4.admin,
      'vectra-relay-placeholder',
      'vectra-relay-198.51.100.42',
    ]);
    expect(members(fgt, SEED.dstGroup)).toEqual([SEED.v4.admin]);
    const memberWrites = writes(fgt).filter((c) => c.path.includes('/addrgrp/'));
    expect(memberWrites.every((c) => c.method === 'POST' && c.path.endsWith('/member'))).toBe(true);
    expect(fgt.calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('is idempotent: blocking again answers the same id and writes nothing', async () => {
    const { client } = clientFor([fgt]);
    const first = await client.blockHost(host());
    fgt.clearCalls();
    expect(await client.blockHost(host())).toEqual(first);
    expect(writes(fgt)).toEqual([]);
    expect(fgt.calls.length).toBe(2); // the group's members and our objects, once per batch
  });

  it('two concurrent blocks of one address from two instances leave one object and one member', async () => {
    const a = clientFor([fgt]).client;
    const b = clientFor([fgt]).client;
    const [x, y] = await Promise.all([a.blockHost(host()), b.blockHost(host())]);
    expect(x).toEqual(y);
    expect(members(fgt, SEED.srcGroup).filter((m) => m === 'vectra-relay-198.51.100.42')).toHaveLength(1);
    expect(members(fgt, SEED.srcGroup).filter((m) => m === 'vectra-relay-placeholder')).toHaveLength(1);
  });

  it('accepts an object of ours made by another instance between its read and its write', async () => {
    const { client } = clientFor([fgt]);
    fgt.beforeNext('POST', '/firewall/address', (s) =>
      s.create('root', 'address', {
        name: 'vectra-relay-198.51.100.42',
        subnet: '198.51.100.42 255.255.255.255',
        comment: 'Created by the Vectra XDR relay for blocking; removed by it on unblock. Do not edit.',
      }),
    );
    await client.blockHost(host());
    expect(members(fgt, SEED.srcGroup)).toContain('vectra-relay-198.51.100.42');
  });

  it('never adopts an object by our name that is not ours, and leaves it unchanged', async () => {
    fgt.state.create('root', 'address', {
      name: 'vectra-relay-198.51.100.42',
      subnet: '10.9.9.9/32',
      comment: 'mine',
    });
    const { client } = clientFor([fgt]);
    await expect(client.blockHost(host())).rejects.toMatchObject({ code: 'state conflict' });
    expect(fgt.state.get('root', 'address', 'vectra-relay-198.51.100.42')).toMatchObject({
      subnet: '10.9.9.9 255.255.255.255',
      comment: 'mine',
    });
    expect(members(fgt, SEED.srcGroup)).not.toContain('vectra-relay-198.51.100.42');
  });

  it('blocks IPv6 hosts with an address6 object in the addrgrp6 group, colons made underscores', async () => {
    const { client } = clientFor([fgt]);
    const { inForce } = await client.blockHost(host({ ip: '2001:DB8::42' }));
    expect(inForce).toEqual([ID('2001:db8::42')]);
    expect(fgt.state.get('root', 'address6', 'vectra-relay-2001_db8__42').ip6).toBe('2001:db8::42/128');
    expect(members(fgt, SEED.srcGroup, 'addrgrp6')).toContain('vectra-relay-2001_db8__42');
  });

  it('answers nothing for a host without an IP or with a range', async () => {
    const { client } = clientFor([fgt]);
    expect(await client.blockHost(host({ ip: null }))).toEqual({ inForce: [], pending: [] });
    expect(await client.blockHost(host({ ip: '10.0.0.0/8' }))).toEqual({ inForce: [], pending: [] });
    expect(writes(fgt)).toEqual([]);
  });
});

describe('fortinet unblock', () => {
  it('removes our member and object, keeps the administrator member and our placeholder', async () => {
    const { client } = clientFor([fgt]);
    const { inForce } = await client.blockHost(host());
    const released = await client.unblockHost(host({ blockedElements: { [NAME]: inForce } }));
    expect(released).toEqual(inForce);
    expect(members(fgt, SEED.srcGroup)).toEqual([SEED.v4.admin, 'vectra-relay-placeholder']);
    expect(hasAddress(fgt, 'vectra-relay-198.51.100.42')).toBe(false);
    expect(fgt.calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('unblocking what is gone is success', async () => {
    const { client } = clientFor([fgt]);
    const id = ID('198.51.100.42');
    expect(await client.unblockHost(host({ blockedElements: { [NAME]: [id] } }))).toEqual([id]);
  });

  it('keeps the object while the same address is blocked on the other side', async () => {
    const { client } = clientFor([fgt]);
    const h = await client.blockHost(host());
    await client.blockDetection(detection(['198.51.100.42']));
    await client.unblockHost(host({ blockedElements: { [NAME]: h.inForce } }));
    expect(members(fgt, SEED.dstGroup)).toContain('vectra-relay-198.51.100.42');
    expect(hasAddress(fgt, 'vectra-relay-198.51.100.42')).toBe(true);
  });

  it('restores the placeholder when removing our member would empty the group', async () => {
    const { client } = clientFor([fgt]);
    const { inForce } = await client.blockHost(host());
    // An administrator tidies the group by hand: only our member is left.
    fgt.state.update('root', 'addrgrp', SEED.srcGroup, { member: [{ name: 'vectra-relay-198.51.100.42' }] });
    await client.unblockHost(host({ blockedElements: { [NAME]: inForce } }));
    expect(members(fgt, SEED.srcGroup)).toEqual(['vectra-relay-placeholder']);
  });

  it('releases pending elements too, and skips ids of firewalls this token does not configure', async () => {
    const { client, lines } = clientFor([fgt]);
    const { inForce } = await client.blockHost(host());
    const other = 'fw9.corp.example/root/src/198.51.100.42';
    const released = await client.unblockHost(
      host({ blockedElements: { [NAME]: [other] }, pendingElements: { [NAME]: inForce } }),
    );
    expect(released).toEqual(inForce);
    expect(JSON.stringify(lines)).toContain('not one of the configured firewalls');
  });

  it('grooms a host whose IP changed', async () => {
    const { client } = clientFor([fgt]);
    const stale = host({ ip: '198.51.100.43', blockedElements: { [NAME]: [ID('198.51.100.42')] } });
    expect(await client.groomHost(stale)).toEqual({ block: true, unblock: true });
    const same = host({ blockedElements: { [NAME]: [ID('198.51.100.42')] } });
    expect(await client.groomHost(same)).toEqual({ block: false, unblock: false });
  });
});

describe('fortinet detections and static IPs', () => {
  it('blocks every destination in the destination group, skipping what is not an IP', async () => {
    const { client } = clientFor([fgt]);
    const { inForce } = await client.blockDetection(
      detection(['203.0.113.5', '203.0.113.6', 'evil.example']),
    );
    expect(inForce).toEqual([ID('203.0.113.5', 'dst'), ID('203.0.113.6', 'dst')]);
    expect(members(fgt, SEED.dstGroup)).toEqual(
      expect.arrayContaining(['vectra-relay-203.0.113.5', 'vectra-relay-203.0.113.6']),
    );
  });

  it('answers static IPs as { ip, id } pairs and derives the IP from the id', async () => {
    const { client } = clientFor([fgt]);
    const pairs = await client.blockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.7'] });
    expect(pairs).toEqual([{ ip: '203.0.113.7', id: ID('203.0.113.7', 'dst') }]);
    expect(client.ipOf?.(pairs[0]?.id as string)).toBe('203.0.113.7');
    expect(await client.unblockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.7'] })).toEqual(pairs);
    expect(hasAddress(fgt, 'vectra-relay-203.0.113.7')).toBe(false);
  });

  it('a static unblock keeps a destination member a detection still holds', async () => {
    const { client } = clientFor([fgt], {}, recordingLog(), heldByDetection);
    const pairs = await client.blockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.8'] });
    expect(await client.unblockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.8'] })).toEqual(pairs);
    expect(members(fgt, SEED.dstGroup)).toContain('vectra-relay-203.0.113.8');
  });

  it('blocks a batch of 50 addresses with two reads and two writes per address', async () => {
    const { client } = clientFor([fgt]);
    const ips = Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 10}`);
    fgt.clearCalls();
    await client.blockStaticDstIps({ kind: 'static-ips', dstIps: ips });
    expect(fgt.calls.filter((c) => c.method === 'GET')).toHaveLength(2);
    expect(writes(fgt)).toHaveLength(2 * 50 + 2); // + our placeholder object and member, once
  });
});
