/**
 * VAR 3.3.3 defects (vectra.md §7) the engine must not copy. Each test drives
 * the situation that breaks VAR and asserts the fixed outcome.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockClient } from '../../src/kernel/block-client.js';
import { defineBlockClient } from '../../src/kernel/block-client.js';
import { createTestClient } from '../../src/vendors/test-client/actions.js';
import { type Harness, startHarness, testClientTag } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** A client written like VAR's Python ones: no normalisation layer in between. */
function rawClient(
  module: string,
  name: string,
  over: Partial<Record<keyof BlockClient, unknown>>,
): BlockClient {
  const base = defineBlockClient(
    { module, name, capabilities: ['host', 'detection', 'groom'] },
    {
      blockHost: async () => [`${module}-el`],
      unblockHost: async (host) => [...(host.blockedElements[name] ?? [])],
    },
  );
  return { ...base, ...over } as BlockClient;
}

describe('§7.1 detection blocking reads client tags from the detection', () => {
  it('blocks a detection candidate (VAR crashes on detection_id.tags) and honours its client: tag', async () => {
    const routed = h.brain.addDetection({
      type: 'C2',
      category: 'COMMAND & CONTROL',
      tags: ['block', 'client:test_client'],
      dstIps: ['203.0.113.9'],
    }).id as number;
    const elsewhere = h.brain.addDetection({
      type: 'C2',
      category: 'COMMAND & CONTROL',
      tags: ['block', 'client:pan'],
      dstIps: ['203.0.113.9'],
    }).id as number;
    const r = await h.run();
    expect(r.summary.errors).toEqual([]);
    expect(h.tags('detection', routed)).toEqual([
      'block',
      'client:test_client',
      'VAR Detection Blocked',
      testClientTag('detection', routed),
    ]);
    expect(h.tags('detection', elsewhere)).toEqual(['block', 'client:pan']);
  });
});

describe('§7.2 groom answers of the wrong type', () => {
  it('a client answering [] or {} to groom_host means "no change", not a crash', async () => {
    const id = h.brain.addHost({
      name: 'g',
      tags: [
        'vectra_host_block',
        'VAR Host Blocked',
        'VAR ID:List Client:list-el',
        'VAR ID:Dict Client:dict-el',
      ],
    }).id as number;
    const listy = rawClient('listy', 'List Client', { groomHost: async () => [] });
    const dicty = rawClient('dicty', 'Dict Client', { groomHost: async () => ({}) });
    const r = await h.run({ GROOM: true }, { clients: [listy, dicty] });
    expect(r.plan?.hosts.toGroom.map((e) => e.id)).toEqual([id]);
    expect(r.summary.errors).toEqual([]);
    expect(h.tags('host', id)).toContain('VAR ID:List Client:list-el');
  });

  it('a groom answer {unblock: true, block: true} re-blocks through that client', async () => {
    const id = h.brain.addHost({
      name: 'm',
      tags: ['vectra_host_block', 'VAR Host Blocked', 'VAR ID:Meraki Like:old'],
    }).id as number;
    const meraki = rawClient('meraki_like', 'Meraki Like', {
      groomHost: async () => ({ block: true, unblock: true }),
      blockHost: async () => ['new'],
    });
    await h.run({ GROOM: true }, { clients: [meraki] });
    expect(h.tags('host', id)).toEqual(['vectra_host_block', 'VAR Host Blocked', 'VAR ID:Meraki Like:new']);
    expect(h.notes('host', id)).toEqual([
      expect.stringMatching(/^Unblocked due to grooming via relay engine/),
      expect.stringMatching(/^Blocked due to grooming via relay engine/),
    ]);
  });
});

describe('§7.5 unblocking with several clients', () => {
  it("keeps the other clients' VAR ID tags (and the marker) when one client fails to unblock", async () => {
    const failing = rawClient('second', 'Second Client', {
      unblockHost: async () => {
        throw new Error('firewall unreachable');
      },
    });
    const id = h.brain.addHost({ name: 'two', tags: ['vectra_host_block', 'ops'] }).id as number;
    await h.run({}, { clients: [createTestClient(), failing] });
    expect(h.tags('host', id)).toEqual([
      'vectra_host_block',
      'ops',
      'VAR Host Blocked',
      testClientTag('host', id),
      'VAR ID:Second Client:second-el',
    ]);
    // The block tag goes: both clients must unblock; the second one fails.
    h.setTags(
      'host',
      id,
      h.tags('host', id).filter((t) => t !== 'vectra_host_block'),
    );
    const r = await h.run({}, { clients: [createTestClient(), failing] });
    expect(r.summary.perClient['Second Client']).toMatchObject({ failed: 1 });
    expect(h.tags('host', id)).toEqual(['ops', 'VAR Host Blocked', 'VAR ID:Second Client:second-el']);
  });
});

describe('§7.6 explicit unblock leaves the block tag', () => {
  it('removes both configured tags, so the host is not re-blocked next run', async () => {
    const policy = { EXPLICIT_UNBLOCK: true, BLOCK_HOST_TAG: 'quarantine', UNBLOCK_HOST_TAG: 'release' };
    const id = h.brain.addHost({ name: 'e', tags: ['quarantine'] }).id as number;
    await h.run(policy);
    expect(h.tags('host', id)).toContain('VAR Host Blocked');
    h.setTags('host', id, [...h.tags('host', id), 'release']);
    await h.run(policy);
    expect(h.tags('host', id)).toEqual([]);
    const again = await h.run(policy);
    expect(again.plan?.hosts.toBlock).toEqual([]);
    expect(h.tags('host', id)).toEqual([]);
  });
});

describe('§7.7 clients returning a bare string or id', () => {
  it('is a failed action; no per-character tags are written', async () => {
    const bare = rawClient('checkpoint', 'CheckPoint Client', { blockHost: async () => '10.0.0.9' });
    const id = h.brain.addHost({ name: 'b', tags: ['vectra_host_block'] }).id as number;
    const r = await h.run({}, { clients: [bare] });
    expect(r.actions).toEqual([
      expect.objectContaining({
        action: 'block',
        outcome: 'failure',
        error: expect.stringMatching(/neither a list of ids nor|instead of a list/),
      }),
    ]);
    expect(h.tags('host', id)).toEqual(['vectra_host_block']);
  });
});
