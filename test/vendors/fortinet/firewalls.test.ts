/**
 * Several firewalls in one module: each firewall is an element, a failing
 * firewall gives a partial (pending) answer naming it, `confirm` completes
 * it, and unblock releases exactly where the block was made.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import { type FakeFortiGate, SEED } from '../../../src/sandbox/fortinet/index.js';
import { clientFor, host, members, NAME, start } from './harness.js';

let fw1: FakeFortiGate;
let fw2: FakeFortiGate;
beforeEach(async () => {
  [fw1, fw2] = await Promise.all([start(), start({ apiKeys: ['secondFirewallKey0123456789'] })]);
});
afterEach(async () => {
  await Promise.all([fw1.close(), fw2.close()]);
  await closeUpstreamPools();
});

const id = (f: FakeFortiGate, ip = '198.51.100.42') => `${new URL(f.url).host}/root/src/${ip}`;
const HOST = `vectra-relay-198.51.100.42`;

describe('fortinet with two firewalls', () => {
  it('blocks on each, with one element per firewall and each its own key', async () => {
    const { client } = clientFor([fw1, fw2]);
    expect((await client.blockHost(host())).inForce).toEqual([id(fw1), id(fw2)]);
    expect(members(fw1, SEED.srcGroup)).toContain(HOST);
    expect(members(fw2, SEED.srcGroup)).toContain(HOST);
  });

  it('one firewall failing: in force on the other, pending naming it; confirm completes it', async () => {
    const { client } = clientFor([fw1, fw2]);
    fw2.inject(503, { count: 10 });
    const answer = await client.blockHost(host());
    expect(answer.inForce).toEqual([id(fw1)]);
    expect(answer.pending).toHaveLength(1);
    expect(answer.pending[0]?.id).toBe(id(fw2));
    expect(answer.pending[0]?.what).toContain(new URL(fw2.url).host);

    fw2.clearCalls();
    fw2.inject(503, { count: 10 });
    const still = await client.confirm?.(host(), [id(fw2)]);
    expect(still).toMatchObject({ inForce: [], failed: [], pending: [{ id: id(fw2) }] });

    fw2.clearCalls();
    const done = await client.confirm?.(host(), [id(fw2)]);
    expect(done).toEqual({ inForce: [id(fw2)], pending: [], failed: [] });
    expect(members(fw2, SEED.srcGroup)).toContain(HOST);
  });

  it('confirm gives up on errors a retry cannot fix, and on firewalls no longer configured', async () => {
    const { client } = clientFor([fw1, fw2], { fortinet_src_group: 'Only-On-Fw1' });
    fw1.state.create('root', 'addrgrp', { name: 'Only-On-Fw1', member: [{ name: SEED.v4.admin }] });
    const answer = await client.blockHost(host());
    expect(answer.pending.map((p) => p.id)).toEqual([id(fw2)]);
    const gone = 'fw9.corp.example/root/src/198.51.100.42';
    const c = await client.confirm?.(host(), [id(fw2), gone]);
    expect(c?.inForce).toEqual([]);
    expect(c?.failed.map((f) => f.id).sort()).toEqual([gone, id(fw2)].sort());
  });

  it('every firewall failing is an error naming them all', async () => {
    fw1.inject(503, { count: 10 });
    fw2.inject(503, { count: 10 });
    const err = await clientFor([fw1, fw2])
      .client.blockHost(host())
      .catch((e: Error) => e);
    expect((err as Error).message).toContain('0 of 2 FortiGate updates done');
    expect((err as Error).message).toContain(new URL(fw1.url).host);
    expect((err as Error).message).toContain(new URL(fw2.url).host);
  });

  it('unblock releases only on the firewall the block was made on', async () => {
    const one = clientFor([fw1]).client;
    const { inForce } = await one.blockHost(host());
    await clientFor([fw2]).client.blockHost(host()); // blocked on fw2 by another record
    const both = clientFor([fw1, fw2]).client;
    expect(await both.unblockHost(host({ blockedElements: { [NAME]: inForce } }))).toEqual(inForce);
    expect(members(fw1, SEED.srcGroup)).not.toContain(HOST);
    expect(members(fw2, SEED.srcGroup)).toContain(HOST);
  });

  it('a partial release answers what was released; the rest keeps its tag', async () => {
    const { client } = clientFor([fw1, fw2]);
    const { inForce } = await client.blockHost(host());
    fw2.inject(503, { count: 10 });
    const released = await client.unblockHost(host({ blockedElements: { [NAME]: inForce } }));
    expect(released).toEqual([id(fw1)]);
    expect(members(fw2, SEED.srcGroup)).toContain(HOST);
  });
});
