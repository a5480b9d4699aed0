/**
 * A sequence of runs whose final Vectra (and NACL) state must equal the
 * expected one: first with the test client alone, then with test_client and
 * aws_nacl against the fake EC2 endpoint.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStaticIpStore } from '../../src/engine/static-ips.js';
import { type Harness, type NaclFixture, startHarness, startNacl, testClientTag } from './harness.js';

const HM = 'VAR Host Blocked';
const DM = 'VAR Detection Blocked';
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('multi-run sequence with the test client', () => {
  it('converges: block, change the inputs, unblock, then a quiet run', async () => {
    const a = h.brain.addHost({ name: 'a', tags: ['vectra_host_block'] }).id as number;
    const b = h.brain.addHost({ name: 'b', threat: 100, certainty: 100 }).id as number;
    const c = h.brain.addHost({ name: 'c', tags: ['vectra_host_block'] }).id as number;
    const acct = h.brain.addAccount({ name: 'svc', tags: ['vectra_account_block'] }).id as number;
    h.brain.addGroup({ name: 'NoBlock', type: 'host', members: [] });
    const run1 = await h.run();
    expect(run1.summary.counts.hosts).toMatchObject({ toBlock: 3, toUnblock: 0 });
    // The default EXTERNAL_BLOCK_HOST_TC (100 and 100) makes b's detections blockable too.
    const det = h.brain.addDetection({
      type: 'C2',
      category: 'COMMAND & CONTROL',
      hostId: b,
      dstIps: ['203.0.113.9'],
    }).id as number;

    h.setTags(
      'host',
      a,
      h.tags('host', a).filter((t) => t !== 'vectra_host_block'),
    );
    // c joins NoBlock (as an analyst would in the UI).
    for (const g of h.brain.state.groups.values()) if (g.name === 'NoBlock') g.members = [c];
    h.setTags('account', acct, [...h.tags('account', acct), 'note-me']);
    const run2 = await h.run();
    expect(run2.summary.counts.hosts).toMatchObject({ toBlock: 0, toUnblock: 2, wronglyBlocked: 1 });
    expect(run2.summary.counts.detections).toMatchObject({ toBlock: 1 });

    const writes = h.writes();
    const run3 = await h.run();
    // Quiet: the still-blocked objects are only reconciled (the client answers ids already held).
    expect(run3.actions.map((x) => [x.action, x.kind, x.id, x.outcome])).toEqual([
      ['reconcile', 'host', b, 'unchanged'],
      ['reconcile', 'account', acct, 'unchanged'],
      ['reconcile', 'detection', det, 'unchanged'],
    ]);
    expect(h.writes()).toBe(writes);
    expect(h.tags('host', a)).toEqual([]);
    expect(h.tags('host', b)).toEqual([HM, testClientTag('host', b)]);
    expect(h.tags('host', c)).toEqual(['vectra_host_block']);
    expect(h.tags('account', acct)).toEqual([
      'vectra_account_block',
      'VAR Account Blocked',
      testClientTag('account', acct),
      'note-me',
    ]);
    expect(h.tags('detection', det)).toEqual([DM, testClientTag('detection', det)]);
    expect(h.notes('host', a)).toHaveLength(2);
  });
});

describe('multi-run sequence with test_client and aws_nacl', () => {
  let nacl: NaclFixture;
  beforeEach(async () => {
    nacl = await startNacl(h, 'test_client,aws_nacl');
  });
  afterEach(() => nacl.close());

  it('blocks hosts, detections and static IPs in the NACL, then releases them', async () => {
    const { acl, claims, denies } = nacl;
    const staticIps = memoryStaticIpStore();
    const host = h.brain.addHost({ name: 'ws', ip: '10.1.2.3', tags: ['vectra_host_block'] }).id as number;
    const onlyTest = h.brain.addHost({
      name: 't',
      ip: '10.1.2.4',
      tags: ['vectra_host_block', 'client:test_client'],
    }).id as number;
    const det = h.brain.addDetection({
      type: 'C2',
      category: 'COMMAND & CONTROL',
      dstIps: ['203.0.113.9', '10.0.0.1'],
      tags: ['block'],
    }).id as number;
    const policy = { STATIC_BLOCK_DESTINATION_IPS: ['198.51.100.0/24'] };

    const run1 = await h.run(policy, { claims, staticIps });
    expect(run1.summary.errors).toEqual([]);
    expect(denies()).toEqual(['10.1.2.3/32', '198.51.100.0/24', '203.0.113.9/32']);
    expect(h.tags('host', host)).toEqual([
      'vectra_host_block',
      HM,
      testClientTag('host', host),
      `VAR ID:AWS NACL Client:${acl}/10.1.2.3/32`,
    ]);
    expect(h.tags('host', onlyTest)).toEqual([
      'vectra_host_block',
      'client:test_client',
      HM,
      testClientTag('host', onlyTest),
    ]);
    expect(h.tags('detection', det)).toContain(`VAR ID:AWS NACL Client:${acl}/203.0.113.9/32`);
    expect(staticIps.value).toEqual(['198.51.100.0/24']);

    h.setTags(
      'host',
      host,
      h.tags('host', host).filter((t) => t !== 'vectra_host_block'),
    );
    h.setTags(
      'detection',
      det,
      h.tags('detection', det).filter((t) => t !== 'block'),
    );
    const run2 = await h.run({ STATIC_BLOCK_DESTINATION_IPS: ['192.0.2.10'] }, { claims, staticIps });
    expect(run2.summary.errors).toEqual([]);
    expect(denies()).toEqual(['192.0.2.10/32']);
    expect(h.tags('host', host)).toEqual([]);
    expect(h.tags('detection', det)).toEqual([]);
    expect(staticIps.value).toEqual(['192.0.2.10/32']);

    const writes = h.writes();
    const run3 = await h.run({ STATIC_BLOCK_DESTINATION_IPS: ['192.0.2.10'] }, { claims, staticIps });
    // Only the host still tagged (test client only) is reconciled, with no write.
    expect(run3.actions.map((x) => [x.action, x.id, x.client, x.outcome])).toEqual([
      ['reconcile', onlyTest, 'Test Client', 'unchanged'],
    ]);
    expect(h.writes()).toBe(writes);
    expect(denies()).toEqual(['192.0.2.10/32']);
  });
});
