/**
 * The pending-block cycle of the VAR core with a client that answers pending
 * first (an EDR isolation, a firewall install job): recorded as pending,
 * never as blocked; confirmed later (in force → VAR ID + marker; failed →
 * pending tags dropped with the reason); cancelled by an unblock while pending.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/kernel/logger.js';
import { Applier } from '../../src/var/applier.js';
import { pendingFirstClient } from '../helpers/pending-client.js';
import { memoryVectra, plainHost } from '../helpers/var-memory.js';

function setup() {
  const vectra = memoryVectra();
  const applier = new Applier({
    port: vectra,
    guard: undefined,
    source: 'relay',
    log: createLogger('SILENT'),
  });
  const host = vectra.add(plainHost(7, 'wks-7', '198.51.100.7'));
  return { vectra, applier, host, ...pendingFirstClient() };
}

describe('a block that is pending first', () => {
  it('is recorded as pending, never blocked, until confirm finds it in force', async () => {
    const s = setup();
    const first = await s.applier.block(s.client, s.vectra.get('host', 7), { holdTag: 'vectra_host_block' });
    expect(first.outcome).toBe('pending');
    expect(first.pending?.[0]?.what).toMatch(/running/);
    expect(s.vectra.tags('host', 7).sort()).toEqual(
      ['VAR Host Block Pending', 'VAR Pending:Pending Client:job-7', 'vectra_host_block'].sort(),
    );
    expect(s.vectra.notes.at(-1)?.text).toMatch(
      /^Block pending via relay on .* \(Pending Client\): isolation/,
    );

    // Still running: a second trigger asks, writes nothing new, starts nothing new.
    const notes = s.vectra.notes.length;
    expect((await s.applier.block(s.client, s.vectra.get('host', 7))).outcome).toBe('pending');
    expect(s.vectra.notes.length).toBe(notes);
    expect(s.jobs.size).toBe(1);

    s.jobs.set('job-7', 'done');
    const confirmed = await s.applier.block(s.client, s.vectra.get('host', 7));
    expect(confirmed.outcome).toBe('success');
    expect(s.vectra.tags('host', 7).sort()).toEqual(
      ['VAR Host Blocked', 'VAR ID:Pending Client:job-7', 'vectra_host_block'].sort(),
    );
  });

  it('drops the pending tags and says why when the job failed', async () => {
    const s = setup();
    await s.applier.block(s.client, s.vectra.get('host', 7));
    s.jobs.set('job-7', 'failed');
    await expect(s.applier.confirm(s.client, s.vectra.get('host', 7))).rejects.toMatchObject({
      code: 'state conflict',
      message: expect.stringContaining('the machine refused'),
    });
    expect(s.vectra.tags('host', 7)).toEqual([]);
    expect(s.vectra.notes.at(-1)?.text).toMatch(/^Block failed via relay .*: the machine refused/);
  });

  it('is cancelled by an unblock while pending, which clears its tags and the hold tag', async () => {
    const s = setup();
    await s.applier.block(s.client, s.vectra.get('host', 7), { holdTag: 'vectra_host_block' });
    const r = await s.applier.unblock(s.client, s.vectra.get('host', 7), { holdTag: 'vectra_host_block' });
    expect(r).toMatchObject({ outcome: 'success', complete: true, elements: ['job-7'] });
    expect(s.cancelled).toEqual(['job-7']);
    expect(s.vectra.tags('host', 7)).toEqual([]);
  });
});
