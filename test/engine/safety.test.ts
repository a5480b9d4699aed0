/** Safety: dry run, the per-run cap, crash recovery, overlapping runs, the blocking window, audit. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countingClient, type Harness, startHarness, testClientTag } from './harness.js';

const MARKER = 'VAR Host Blocked';
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('dry run', () => {
  it('reports the plan with reasons and clients and writes nothing', async () => {
    const a = h.brain.addHost({ name: 'a', tags: ['vectra_host_block'] }).id as number;
    const b = h.brain.addHost({ name: 'b', tags: [MARKER, testClientTag('host', 2)] }).id as number;
    const r = await h.run({}, { dryRun: true });
    expect(r.summary).toMatchObject({ dryRun: true, applied: false, skipped: 'dry-run' });
    expect(r.plan?.hosts.toBlock).toEqual([{ id: a, name: 'a', reasons: ['tag'], clients: ['Test Client'] }]);
    expect(r.plan?.hosts.toUnblock).toEqual([
      { id: b, name: 'b', reasons: ['no-longer-matching'], clients: ['Test Client'] },
    ]);
    expect(r.actions).toEqual([]);
    expect(h.writes()).toBe(0);
  });
});

describe('safety cap', () => {
  it('blocks nothing when more objects than the cap would be newly blocked, and says so', async () => {
    const ids = [1, 2, 3].map(
      (i) => h.brain.addHost({ name: `h${i}`, tags: ['vectra_host_block'] }).id as number,
    );
    const stale = h.brain.addHost({ name: 'stale', tags: [MARKER, testClientTag('host', 9)] }).id as number;
    const r = await h.run({ MAX_NEW_BLOCKS_PER_RUN: 2 });
    expect(r.summary).toMatchObject({ capExceeded: true, newBlocks: 3, cap: 2, applied: true });
    expect(r.summary.errors[0]).toMatch(/Safety cap: 3 new blocks planned, at most 2/);
    for (const id of ids) expect(h.tags('host', id)).toEqual(['vectra_host_block']);
    // Unblocking is not what the cap guards against: it still runs.
    expect(h.tags('host', stale)).toEqual([]);
    const ok = await h.run({ MAX_NEW_BLOCKS_PER_RUN: 3 });
    expect(ok.summary.capExceeded).toBe(false);
    for (const id of ids) expect(h.tags('host', id)).toContain(MARKER);
  });
});

describe('a run that fails halfway', () => {
  it('client blocked but the tag write failed: the next run re-blocks idempotently and completes the tags', async () => {
    const id = h.brain.addHost({ name: 'x', tags: ['vectra_host_block'] }).id as number;
    const client = countingClient();
    h.brain.inject({ path: `/tagging/host/${id}`, method: 'PATCH', status: 403, times: 1 });
    const first = await h.run({}, { clients: [client] });
    expect(first.actions).toEqual([expect.objectContaining({ action: 'block', outcome: 'failure' })]);
    expect(client.calls).toBe(1);
    expect(h.tags('host', id)).toEqual(['vectra_host_block']);
    const second = await h.run({}, { clients: [client] });
    expect(second.plan?.hosts.toBlock.map((e) => e.id)).toEqual([id]);
    expect(client.calls).toBe(2);
    expect(h.tags('host', id)).toEqual(['vectra_host_block', MARKER, testClientTag('host', id)]);
    const third = await h.run({}, { clients: [client] });
    expect(third.plan?.hosts.toBlock).toEqual([]);
  });
});

describe('overlapping runs', () => {
  it('two concurrent runs end in the same state as one run (no duplicate tags)', async () => {
    const ids = [1, 2, 3, 4].map(
      (i) => h.brain.addHost({ name: `c${i}`, tags: ['vectra_host_block', 'k'] }).id as number,
    );
    const stale = h.brain.addHost({ name: 's', tags: ['k', MARKER, testClientTag('host', 77)] }).id as number;
    h.brain.setLatency(5);
    const [r1, r2] = await Promise.all([h.run(), h.run()]);
    expect(r1.summary.errors).toEqual([]);
    expect(r2.summary.errors).toEqual([]);
    for (const id of ids)
      expect(h.tags('host', id)).toEqual(['vectra_host_block', 'k', MARKER, testClientTag('host', id)]);
    expect(h.tags('host', stale)).toEqual(['k']);
  });
});

describe('blocking window', () => {
  const policy = { BLOCK_DAYS: 'weekday', BLOCK_START_TIME: 9, BLOCK_END_TIME: 17 };
  it('gates applying, not planning', async () => {
    const id = h.brain.addHost({ name: 'w', tags: ['vectra_host_block'] }).id as number;
    const saturday = () => new Date('2025-11-29T10:00:00Z');
    const out = await h.run(policy, { now: saturday });
    expect(out.summary).toMatchObject({ applied: false, skipped: 'outside-window' });
    expect(out.plan?.hosts.toBlock.map((e) => e.id)).toEqual([id]);
    expect(h.writes()).toBe(0);
    const mondayEvening = () => new Date('2025-11-24T17:00:00Z');
    expect((await h.run(policy, { now: mondayEvening })).summary.skipped).toBe('outside-window');
    const mondayMorning = () => new Date('2025-11-24T09:00:00Z');
    expect((await h.run(policy, { now: mondayMorning })).summary.applied).toBe(true);
    expect(h.tags('host', id)).toContain(MARKER);
  });
});

describe('records', () => {
  it('one audit record per action (source engine) and one summary per run', async () => {
    const id = h.brain.addHost({ name: 'r', ip: '10.9.9.9', tags: ['vectra_host_block'] }).id as number;
    const r = await h.run();
    const audits = h.records.filter((x) => x.message === 'audit').map((x) => x.extra.audit);
    expect(audits).toEqual([
      expect.objectContaining({
        action: 'engine-block-host',
        observable: { type: 'vectra_host', value: String(id) },
        client: 'Test Client',
        elements: [testClientTag('host', id).split(':')[2]],
        outcome: 'success',
        source: 'engine',
      }),
    ]);
    const summaries = h.records.filter((x) => x.message === 'engine run summary');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.extra.engine).toEqual(r.summary);
    expect(r.summary.counts.hosts).toMatchObject({ toBlock: 1, toUnblock: 0 });
    expect(r.summary.perClient).toEqual({
      'Test Client': { blocked: 1, unblocked: 0, unchanged: 0, failed: 0 },
    });
  });

  it('a blocked list cut short by the page cap is a planning failure, not a mass unblock', async () => {
    // 51 stale blocks at one item per page: the client's 50-page cap cannot finish the list.
    const ids = Array.from(
      { length: 51 },
      (_, i) =>
        h.brain.addHost({ name: `s${i}`, tags: [MARKER, testClientTag('host', 1000 + i)] }).id as number,
    );
    const cut = await h.run({}, { pageSize: 1 });
    expect(cut.summary).toMatchObject({ applied: false, skipped: 'planning-failed' });
    expect(cut.summary.errors).toEqual([expect.stringMatching(/cut short/)]);
    expect(cut.plan).toBeUndefined();
    expect(cut.actions).toEqual([]);
    expect(h.writes()).toBe(0);
    for (const id of ids) expect(h.tags('host', id)).toContain(MARKER);
    // The same brain listed completely: the stale blocks are released as before.
    const whole = await h.run();
    expect(whole.summary).toMatchObject({ applied: true, errors: [] });
    expect(whole.plan?.hosts.toUnblock.map((e) => e.id)).toEqual(ids);
    for (const id of ids) expect(h.tags('host', id)).toEqual([]);
  });

  it('an urgency list cut short (v3) is a planning failure too', async () => {
    const v3 = await startHarness('v3');
    try {
      for (let i = 0; i < 51; i++) v3.brain.addHost({ name: `u${i}`, urgency: 95 });
      const cut = await v3.run({ BLOCK_HOST_URGENCY: 90, MAX_NEW_BLOCKS_PER_RUN: 100 }, { pageSize: 1 });
      expect(cut.summary).toMatchObject({ applied: false, skipped: 'planning-failed' });
      expect(cut.summary.errors).toEqual([expect.stringMatching(/cut short/)]);
      expect(v3.writes()).toBe(0);
    } finally {
      await v3.close();
    }
  });

  it('a planning failure applies nothing and is reported', async () => {
    h.brain.addHost({ name: 'p', tags: ['VAR Host Blocked', testClientTag('host', 1)] });
    h.brain.inject({ path: '/groups', status: 403, times: 5 });
    const r = await h.run();
    expect(r.summary).toMatchObject({ applied: false, skipped: 'planning-failed' });
    expect(r.summary.errors).toHaveLength(1);
    expect(h.writes()).toBe(0);
  });
});
