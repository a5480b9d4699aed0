/**
 * The engine and a pending-first client: a block under way is not counted or
 * started again as new, the next run's reconcile confirms it, and a pending
 * block whose object no longer matches is cancelled.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pendingFirstClient } from '../helpers/pending-client.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('a pending block in the engine', () => {
  it('is recorded pending, confirmed by the next run, and never started twice', async () => {
    const p = pendingFirstClient();
    const id = h.brain.addHost({ name: 'iso', tags: ['vectra_host_block'] }).id as number;
    const r1 = await h.run({}, { clients: [p.client] });
    expect(r1.actions).toEqual([expect.objectContaining({ action: 'block', outcome: 'pending' })]);
    expect(h.tags('host', id)).toContain(`VAR Pending:Pending Client:job-${id}`);
    expect(h.tags('host', id)).not.toContain('VAR Host Blocked');

    const r2 = await h.run({}, { clients: [p.client] });
    expect(r2.summary.newBlocks).toBe(0);
    expect(r2.actions).toEqual([expect.objectContaining({ action: 'confirm', outcome: 'pending' })]);
    expect(p.jobs.size).toBe(1);

    p.jobs.set(`job-${id}`, 'done');
    const r3 = await h.run({}, { clients: [p.client] });
    expect(r3.actions).toEqual([expect.objectContaining({ action: 'confirm', outcome: 'success' })]);
    expect(h.tags('host', id)).toContain('VAR Host Blocked');
    expect(h.tags('host', id)).toContain(`VAR ID:Pending Client:job-${id}`);
  });

  it('cancels a pending block whose object no longer matches', async () => {
    const p = pendingFirstClient();
    const id = h.brain.addHost({ name: 'iso', tags: ['vectra_host_block'] }).id as number;
    await h.run({}, { clients: [p.client] });
    h.setTags(
      'host',
      id,
      h.tags('host', id).filter((t) => t !== 'vectra_host_block'),
    );
    const r = await h.run({}, { clients: [p.client] });
    expect(r.actions).toEqual([expect.objectContaining({ action: 'unblock', outcome: 'success' })]);
    expect(p.cancelled).toEqual([`job-${id}`]);
    expect(h.tags('host', id)).toEqual([]);
  });
});
