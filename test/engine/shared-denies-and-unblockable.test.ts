/**
 * Shared NACL denies released by concurrent unblocks, objects no
 * client can block (not counted by the cap), no-block unblocks outside the
 * window.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, type NaclFixture, startHarness, startNacl, testClientTag } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('concurrent unblocks of objects sharing a NACL deny', () => {
  let nacl: NaclFixture;
  beforeEach(async () => {
    nacl = await startNacl(h, 'aws_nacl');
  });
  afterEach(() => nacl.close());

  it('removes the shared deny and both tags when both are unblocked in one run', async () => {
    const { acl, claims, denies } = nacl;
    const d1 = h.brain.addDetection({
      type: 'C2',
      category: 'COMMAND & CONTROL',
      dstIps: ['203.0.113.9'],
      tags: ['block'],
    }).id as number;
    const d2 = h.brain.addDetection({
      type: 'C2',
      category: 'COMMAND & CONTROL',
      dstIps: ['203.0.113.9'],
      tags: ['block'],
    }).id as number;
    const run1 = await h.run({}, { claims });
    expect(run1.summary.errors).toEqual([]);
    expect(denies()).toEqual(['203.0.113.9/32']);
    const el = `VAR ID:AWS NACL Client:${acl}/203.0.113.9/32`;
    expect(h.tags('detection', d1)).toContain(el);
    expect(h.tags('detection', d2)).toContain(el);

    for (const d of [d1, d2])
      h.setTags(
        'detection',
        d,
        h.tags('detection', d).filter((t) => t !== 'block'),
      );
    const run2 = await h.run({}, { claims });
    expect(run2.summary.errors).toEqual([]);
    expect(run2.summary.counts.detections).toMatchObject({ toUnblock: 2 });
    expect(h.tags('detection', d1)).toEqual([]);
    expect(h.tags('detection', d2)).toEqual([]);
    expect(denies()).toEqual([]);
  });
});

describe('block candidates no client can block', () => {
  it('are reported as unblockable, not attempted, and not counted by the cap', async () => {
    // Only test_client is configured: a host restricted to aws_nacl has no eligible client.
    const naclOnly = h.brain.addHost({ name: 'n', tags: ['vectra_host_block', 'client:aws_nacl'] })
      .id as number;
    const noDst = h.brain.addDetection({ type: 'C2', category: 'COMMAND & CONTROL', tags: ['block'] })
      .id as number;
    const noDst2 = h.brain.addDetection({ type: 'C2', category: 'COMMAND & CONTROL', tags: ['block'] })
      .id as number;
    const ok = h.brain.addHost({ name: 'ok', tags: ['vectra_host_block'] }).id as number;

    const r = await h.run({ MAX_NEW_BLOCKS_PER_RUN: 1 });
    expect(r.summary.errors).toEqual([]);
    expect(r.summary.capExceeded).toBe(false);
    expect(r.summary.newBlocks).toBe(1);
    expect(r.plan?.hosts.toBlock.map((e) => e.id)).toEqual([ok]);
    expect(r.plan?.hosts.unblockable).toEqual([
      { id: naclOnly, name: 'n', reasons: ['tag'], unblockable: 'no-eligible-client' },
    ]);
    expect(r.plan?.detections.toBlock).toEqual([]);
    expect(r.plan?.detections.unblockable.map((e) => [e.id, e.unblockable])).toEqual([
      [noDst, 'no-destination-ip'],
      [noDst2, 'no-destination-ip'],
    ]);
    expect(r.summary.counts.hosts).toMatchObject({ toBlock: 1, unblockable: 1 });
    expect(r.summary.unblockable).toEqual({
      hosts: { 'no-eligible-client': 1 },
      detections: { 'no-destination-ip': 2 },
    });
    expect(r.actions.map((a) => [a.action, a.kind, a.id, a.outcome])).toEqual([
      ['block', 'host', ok, 'success'],
    ]);
    expect(h.tags('host', ok)).toEqual(['vectra_host_block', 'VAR Host Blocked', testClientTag('host', ok)]);
    expect(h.tags('host', naclOnly)).toEqual(['vectra_host_block', 'client:aws_nacl']);
    expect(h.tags('detection', noDst)).toEqual(['block']);
  });
});

describe('outside the blocking window', () => {
  const policy = { BLOCK_DAYS: 'weekday', BLOCK_START_TIME: 9, BLOCK_END_TIME: 17 };
  const saturday = () => new Date('2025-11-29T10:00:00Z');
  const HM = 'VAR Host Blocked';

  it('still releases a host newly put in the no-block group; blocks nothing, keeps other unblocks', async () => {
    const wrongly = h.brain.addHost({ name: 'w' }).id as number;
    h.setTags('host', wrongly, ['vectra_host_block', HM, testClientTag('host', wrongly)]);
    const stale = h.brain.addHost({ name: 's', tags: [] }).id as number;
    h.setTags('host', stale, [HM, testClientTag('host', stale)]);
    const fresh = h.brain.addHost({ name: 'f', tags: ['vectra_host_block'] }).id as number;
    h.brain.addGroup({ name: 'NoBlock', type: 'host', members: [wrongly] });

    const r = await h.run(policy, { now: saturday });
    expect(r.summary).toMatchObject({ applied: false, skipped: 'outside-window' });
    expect(r.summary.errors).toEqual([]);
    expect(r.plan?.hosts.toUnblock.map((e) => [e.id, e.reasons])).toEqual(
      expect.arrayContaining([
        [wrongly, ['no-block']],
        [stale, ['no-longer-matching']],
      ]),
    );
    expect(r.actions.map((a) => [a.action, a.id, a.outcome])).toEqual([['unblock', wrongly, 'success']]);
    expect(h.tags('host', wrongly)).toEqual(['vectra_host_block']);
    expect(h.tags('host', stale)).toEqual([HM, testClientTag('host', stale)]);
    expect(h.tags('host', fresh)).toEqual(['vectra_host_block']);
  });
});
