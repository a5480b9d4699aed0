/**
 * The `fortimanager` client against the fake FortiManager: ADOM objects and
 * group members, one install per batch, pending until the install task
 * succeeds, confirm, rollback of a failed install, idempotency, races and
 * foreign objects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import {
  type FakeFortiManager,
  SEED,
  startFakeFortiManager,
} from '../../../src/sandbox/fortimanager/index.js';
import {
  clientFor,
  detection,
  heldByDetection,
  host,
  installed,
  installs,
  members,
  NAME,
  writes,
} from './harness.js';

let fmg: FakeFortiManager;
afterEach(async () => {
  await fmg.close();
  await closeUpstreamPools();
});

const EL = 'root/src/198.51.100.42';
const OBJ = 'vectra-relay-198.51.100.42';

describe('fortimanager block', () => {
  it('adds our object to the ADOM group, installs the package, and is pending until the task succeeds', async () => {
    fmg = await startFakeFortiManager({ jobMs: 60_000 });
    const { client } = clientFor(fmg);
    const answer = await client.blockHost(host());
    expect(answer.inForce).toEqual([]);
    expect(answer.pending).toHaveLength(1);
    const pendingId = answer.pending[0]?.id as string;
    expect(pendingId).toMatch(/^root\/src\/198\.51\.100\.42#\d+\+$/);
    expect(answer.pending[0]?.what).toMatch(/install task \d+ of package vectra_policy/);
    expect(members(fmg, SEED.srcGroup)).toEqual([SEED.v4.admin, 'vectra-relay-placeholder', OBJ]);
    expect(installed(fmg, SEED.srcGroup)).toEqual([]); // not on the FortiGate yet
    expect(installs(fmg)).toHaveLength(1);

    expect(await client.confirm?.(host(), [pendingId])).toMatchObject({
      inForce: [],
      failed: [],
      pending: [{ id: pendingId }],
    });
    fmg.settle();
    expect(await client.confirm?.(host(), [pendingId])).toEqual({ inForce: [EL], pending: [], failed: [] });
    expect(installed(fmg, SEED.srcGroup)).toContain(OBJ);
  });

  it('answers in force at once when the install is already done', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    expect(await clientFor(fmg).client.blockHost(host())).toEqual({ inForce: [EL], pending: [] });
  });

  it('is idempotent: what is recorded in force or pending is answered again with no write and no install', async () => {
    fmg = await startFakeFortiManager({ jobMs: 60_000 });
    const { client } = clientFor(fmg);
    const first = await client.blockHost(host());
    const p = first.pending[0]?.id as string;
    fmg.clearCalls();
    const again = await client.blockHost(host({ pendingElements: { [NAME]: [p] } }));
    expect(again).toEqual({
      inForce: [],
      pending: [{ id: p, what: expect.stringContaining('install task') }],
    });
    const done = await client.blockHost(host({ blockedElements: { [NAME]: [EL] } }));
    expect(done).toEqual({ inForce: [EL], pending: [] });
    expect(writes(fmg)).toEqual([]);
    expect(installs(fmg)).toEqual([]);
  });

  it('one install for a detection with several destinations', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    const { client } = clientFor(fmg);
    const { inForce } = await client.blockDetection(detection(['203.0.113.5', '203.0.113.6', '2001:db8::6']));
    expect(inForce).toEqual(['root/dst/203.0.113.5', 'root/dst/203.0.113.6', 'root/dst/2001:db8::6']);
    expect(installs(fmg)).toHaveLength(1);
    expect(members(fmg, SEED.dstGroup, 'addrgrp6')).toContain('vectra-relay-2001_db8__6');
    expect(members(fmg, SEED.dstGroup).every((m) => !m.includes('2001'))).toBe(true);
  });

  it('adds members through the member attribute, never a set of the whole group', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    await clientFor(fmg).client.blockHost(host());
    const groupWrites = writes(fmg).filter((c) => c.url.includes('/addrgrp'));
    expect(groupWrites.every((c) => c.method === 'add' && c.url.endsWith('/member'))).toBe(true);
  });

  it('a failed install: confirm answers failed naming the device and rolls back what the block added', async () => {
    fmg = await startFakeFortiManager({ jobMs: 60_000 });
    const { client } = clientFor(fmg);
    fmg.failNextInstall(SEED.device);
    const p = (await client.blockHost(host())).pending[0]?.id as string;
    fmg.settle();
    const c = await client.confirm?.(host(), [p]);
    expect(c?.failed).toEqual([{ id: p, reason: expect.stringContaining(SEED.device) }]);
    expect(members(fmg, SEED.srcGroup)).not.toContain(OBJ);
    expect(members(fmg, SEED.srcGroup)).toContain(SEED.v4.admin);
  });

  it('a failed install never rolls back a member another record now holds in force', async () => {
    fmg = await startFakeFortiManager({ jobMs: 60_000 });
    const { client } = clientFor(fmg, { guard: heldByDetection });
    fmg.failNextInstall();
    const p = (await client.blockHost(host())).pending[0]?.id as string;
    fmg.settle();
    expect((await client.confirm?.(host(), [p]))?.failed).toHaveLength(1);
    expect(members(fmg, SEED.srcGroup)).toContain(OBJ);
  });

  it('a task FortiManager no longer knows is failed, and what that block added is rolled back', async () => {
    fmg = await startFakeFortiManager({ jobMs: 60_000 });
    const { client } = clientFor(fmg);
    const p = (await client.blockHost(host())).pending[0]?.id as string;
    const unknown = p.replace(/#\d+/, '#987654');
    const c = await client.confirm?.(host(), [unknown]);
    expect(c?.failed).toEqual([
      { id: unknown, reason: expect.stringContaining('no longer knows install task 987654') },
    ]);
    expect(members(fmg, SEED.srcGroup)).not.toContain(OBJ);
  });

  it('two concurrent blocks of one address leave one object and one member', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    const [a, b] = [clientFor(fmg).client, clientFor(fmg).client];
    await Promise.all([a.blockHost(host()), b.blockHost(host())]);
    expect(members(fmg, SEED.srcGroup).filter((m) => m === OBJ)).toHaveLength(1);
  });

  it('never adopts or changes an object by our name that is not ours', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    const db = fmg.state.adom(SEED.adom).db;
    fmg.state.create(db, 'address', { name: OBJ, subnet: ['10.9.9.9', '255.255.255.255'], comment: 'mine' });
    await expect(clientFor(fmg).client.blockHost(host())).rejects.toMatchObject({ code: 'state conflict' });
    expect(db.address.get(OBJ)).toMatchObject({ subnet: ['10.9.9.9', '255.255.255.255'], comment: 'mine' });
    expect(members(fmg, SEED.srcGroup)).not.toContain(OBJ);
  });
});

describe('fortimanager unblock', () => {
  it('removes our member and object, installs, and keeps foreign members and the placeholder', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    const { client } = clientFor(fmg);
    const { inForce } = await client.blockHost(host());
    expect(installed(fmg, SEED.srcGroup)).toContain(OBJ);
    const released = await client.unblockHost(host({ blockedElements: { [NAME]: inForce } }));
    expect(released).toEqual(inForce);
    expect(members(fmg, SEED.srcGroup)).toEqual([SEED.v4.admin, 'vectra-relay-placeholder']);
    expect(fmg.state.adom(SEED.adom).db.address.has(OBJ)).toBe(false);
    expect(installed(fmg, SEED.srcGroup)).not.toContain(OBJ);
  });

  it('cancels a pending block: releases the pending id as given', async () => {
    fmg = await startFakeFortiManager({ jobMs: 60_000 });
    const { client } = clientFor(fmg, { unblockWaitMs: 0 });
    const p = (await client.blockHost(host())).pending[0]?.id as string;
    expect(await client.unblockHost(host({ pendingElements: { [NAME]: [p] } }))).toEqual([p]);
    expect(members(fmg, SEED.srcGroup)).not.toContain(OBJ);
  });

  it('a failed install keeps the tags: the unblock fails and says why', async () => {
    fmg = await startFakeFortiManager({ jobMs: 0 });
    const { client } = clientFor(fmg);
    const { inForce } = await client.blockHost(host());
    fmg.failNextInstall();
    await expect(client.unblockHost(host({ blockedElements: { [NAME]: inForce } }))).rejects.toMatchObject({
      code: 'service unavailable',
      message: expect.stringContaining(SEED.device),
    });
  });

  it('static IPs wait for their install and answer { ip, id } pairs', async () => {
    fmg = await startFakeFortiManager({ jobMs: 50 });
    const { client } = clientFor(fmg);
    const pairs = await client.blockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.7/32'] });
    expect(pairs).toEqual([{ ip: '203.0.113.7', id: 'root/dst/203.0.113.7' }]);
    expect(installed(fmg, SEED.dstGroup)).toContain('vectra-relay-203.0.113.7');
    expect(await client.unblockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.7'] })).toEqual(pairs);
    expect(installed(fmg, SEED.dstGroup)).not.toContain('vectra-relay-203.0.113.7');
  });
});
