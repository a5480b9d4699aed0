/**
 * Reconcile (RECONCILE_BLOCKED): a block recorded in Vectra but lost at the
 * client is repaired, a target added to a client is recorded, an intact block
 * costs no write; and the no-block interlock of the NACL client sees the
 * no-block group the engine honours (the policy's), not only the claim's.
 * Driven against the fake brain and the fake EC2 endpoint.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, runEngineWithClaims } from '../../src/engine/index.js';
import { memoryStaticIpStore } from '../../src/engine/static-ips.js';
import { makeConfig } from '../../src/kernel/config.js';
import type { FakeEc2 } from '../../src/sandbox/ec2/index.js';
import {
  countingClient,
  type Harness,
  type NaclFixture,
  startHarness,
  startNacl,
  testClientTag,
} from './harness.js';

const HM = 'VAR Host Blocked';
const NACL = 'AWS NACL Client';
let h: Harness;
let nacl: NaclFixture;
let ec2: FakeEc2;
let acl: string;
let claims: Record<string, string>;

beforeEach(async () => {
  h = await startHarness();
  nacl = await startNacl(h);
  ({ ec2, acl, claims } = nacl);
});
afterEach(async () => {
  await nacl.close();
  await h.close();
});

const denies = (naclId: string) => nacl.denies(naclId);

/** Deletes the deny of `cidr` as someone would in the AWS console. */
function deleteDeny(naclId: string, cidr: string): void {
  const e = ec2.entries(naclId).find((x) => x.ruleAction === 'deny' && x.cidrBlock === cidr);
  if (!e) throw new Error(`no deny of ${cidr}`);
  ec2.state.delete(naclId, e.ruleNumber, e.egress);
}

const ec2Writes = () =>
  ec2.calls.filter((c) => /^(Create|Replace|Delete)NetworkAclEntry$/.test(c.action)).length;

describe('reconciling blocked, still matching objects', () => {
  it('puts back a deny deleted behind the relay, with no tag change and no note', async () => {
    const id = h.brain.addHost({ name: 'ws', ip: '10.1.2.3', tags: ['vectra_host_block'] }).id as number;
    const first = await h.run({}, { claims });
    expect(first.summary.errors).toEqual([]);
    expect(denies(acl)).toEqual(['10.1.2.3/32']);
    const tags = h.tags('host', id);
    expect(tags).toEqual(['vectra_host_block', HM, `VAR ID:${NACL}:${acl}/10.1.2.3/32`]);
    const notes = h.notes('host', id).length;

    deleteDeny(acl, '10.1.2.3/32');
    expect(denies(acl)).toEqual([]);
    const writes = h.writes();
    const second = await h.run({}, { claims });
    expect(second.summary.errors).toEqual([]);
    expect(denies(acl)).toEqual(['10.1.2.3/32']);
    expect(h.tags('host', id)).toEqual(tags);
    expect(h.notes('host', id).length - notes).toBeLessThanOrEqual(1);
    // The element id is stable: nothing new to record, so nothing written to Vectra.
    expect(h.writes()).toBe(writes);
    expect(second.plan?.hosts.toReconcile).toEqual([{ id, name: 'ws', reasons: ['tag'], clients: [NACL] }]);
    expect(second.summary.counts.hosts).toMatchObject({ toBlock: 0, toReconcile: 1 });
    expect(second.summary.newBlocks).toBe(0);
    expect(second.actions).toEqual([
      expect.objectContaining({ action: 'reconcile', kind: 'host', id, client: NACL, outcome: 'unchanged' }),
    ]);
  });

  it('records the element of a NACL added to the claims', async () => {
    const id = h.brain.addHost({ name: 'ws', ip: '10.1.2.3', tags: ['vectra_host_block'] }).id as number;
    await h.run({}, { claims });
    const acl2 = ec2.addNacl();
    const notes = h.notes('host', id).length;
    const r = await h.run({}, { claims: { ...claims, aws_nacl_ids: `${acl},${acl2}` } });
    expect(r.summary.errors).toEqual([]);
    expect(denies(acl2)).toEqual(['10.1.2.3/32']);
    expect(h.tags('host', id)).toEqual([
      'vectra_host_block',
      HM,
      `VAR ID:${NACL}:${acl}/10.1.2.3/32`,
      `VAR ID:${NACL}:${acl2}/10.1.2.3/32`,
    ]);
    expect(h.notes('host', id).slice(notes)).toEqual([
      expect.stringMatching(/^Blocked via relay engine on .* UTC \(AWS NACL Client\)$/),
    ]);
    expect(r.actions).toEqual([expect.objectContaining({ action: 'reconcile', id, outcome: 'success' })]);
    expect(r.summary.perClient[NACL]).toMatchObject({ blocked: 1, failed: 0 });
  });

  it('writes nothing, in Vectra or in EC2, for an intact block', async () => {
    const id = h.brain.addHost({ name: 'ws', ip: '10.1.2.3', tags: ['vectra_host_block'] }).id as number;
    const det = h.brain.addDetection({
      type: 'C2',
      category: 'COMMAND & CONTROL',
      dstIps: ['203.0.113.9'],
      tags: ['block'],
    }).id as number;
    await h.run({}, { claims });
    expect(denies(acl)).toEqual(['10.1.2.3/32', '203.0.113.9/32']);
    const tags = [h.tags('host', id), h.tags('detection', det)];
    const writes = h.writes();
    const creates = ec2Writes();
    const r = await h.run({}, { claims });
    expect(r.summary.errors).toEqual([]);
    expect(r.actions.map((a) => [a.action, a.kind, a.outcome])).toEqual([
      ['reconcile', 'host', 'unchanged'],
      ['reconcile', 'detection', 'unchanged'],
    ]);
    expect(h.writes()).toBe(writes);
    expect(ec2Writes()).toBe(creates);
    expect([h.tags('host', id), h.tags('detection', det)]).toEqual(tags);
  });

  it('repairs a lost marker and a lost deny of an object the tags hold (no marker-only shortcut)', async () => {
    const id = h.brain.addHost({ name: 'ws', ip: '10.1.2.3', tags: ['vectra_host_block'] }).id as number;
    await h.run({}, { claims });
    deleteDeny(acl, '10.1.2.3/32');
    h.setTags(
      'host',
      id,
      h.tags('host', id).filter((t) => t !== HM),
    );
    const r = await h.run({}, { claims });
    expect(r.summary.errors).toEqual([]);
    expect(denies(acl)).toEqual(['10.1.2.3/32']);
    expect(h.tags('host', id)).toEqual(['vectra_host_block', `VAR ID:${NACL}:${acl}/10.1.2.3/32`, HM]);
  });

  it('is reported, not applied, in a dry run; RECONCILE_BLOCKED false turns it off', async () => {
    const id = h.brain.addHost({ name: 'ws', ip: '10.1.2.3', tags: ['vectra_host_block'] }).id as number;
    await h.run({}, { claims });
    deleteDeny(acl, '10.1.2.3/32');
    const writes = h.writes();
    const creates = ec2Writes();
    const dry = await h.run({}, { claims, dryRun: true });
    expect(dry.plan?.hosts.toReconcile).toEqual([{ id, name: 'ws', reasons: ['tag'], clients: [NACL] }]);
    expect(dry.actions).toEqual([]);
    expect(denies(acl)).toEqual([]);
    expect([h.writes(), ec2Writes()]).toEqual([writes, creates]);

    const off = await h.run({ RECONCILE_BLOCKED: false }, { claims });
    expect(off.plan?.hosts.toReconcile).toEqual([]);
    expect(off.actions).toEqual([]);
    expect(denies(acl)).toEqual([]);
  });

  it('never reconciles a no-block object (it is unblocked), nor while the cap stops blocking', async () => {
    const client = countingClient();
    const kept = h.brain.addHost({ name: 'kept', tags: ['vectra_host_block'] }).id as number;
    const shielded = h.brain.addHost({ name: 'shielded', tags: ['vectra_host_block'] }).id as number;
    await h.run({}, { clients: [client] });
    expect(client.calls).toBe(2);
    h.brain.addGroup({ name: 'NoBlock', type: 'host', members: [shielded] });
    const r = await h.run({}, { clients: [client] });
    expect(r.plan?.hosts.toReconcile.map((e) => e.id)).toEqual([kept]);
    expect(r.plan?.hosts.toUnblock.map((e) => e.id)).toEqual([shielded]);
    expect(client.calls).toBe(3);
    expect(h.tags('host', shielded)).toEqual(['vectra_host_block']);

    // Reconciles are not new blocks: they do not count toward the cap …
    h.brain.addHost({ name: 'n1', tags: ['vectra_host_block'] });
    const capped = await h.run({ MAX_NEW_BLOCKS_PER_RUN: 0 }, { clients: [client] });
    expect(capped.summary).toMatchObject({ newBlocks: 1, capExceeded: true });
    expect(capped.summary.counts.hosts).toMatchObject({ toReconcile: 1 });
    // … but a run the cap stops blocks nothing, repairs included.
    expect(client.calls).toBe(3);
    expect(capped.actions).toEqual([]);
  });

  it('leaves a client whose groom answer acted to that answer', async () => {
    const client = countingClient();
    const groomer = { ...client, groomHost: async () => ({ block: true, unblock: false }) };
    const id = h.brain.addHost({ name: 'g', tags: ['vectra_host_block'] }).id as number;
    await h.run({}, { clients: [groomer] });
    const r = await h.run({ GROOM: true }, { clients: [groomer] });
    expect(r.actions.map((a) => a.action)).toEqual(['groom-block']);
    expect(h.tags('host', id)).toEqual(['vectra_host_block', HM, testClientTag('host', id)]);
  });
});

describe('the NACL no-block interlock follows the policy group', () => {
  it("never denies a policy-named no-block host's IP as a static or detection destination", async () => {
    // A public address: Vectra's detections list only public destinations.
    const jewel = h.brain.addHost({ name: 'db', ip: '203.0.113.50' }).id as number;
    h.brain.addGroup({ name: 'Crown Jewels', type: 'host', members: [jewel] });
    // The claim's group (default NoBlock) exists and is empty.
    h.brain.addGroup({ name: 'NoBlock', type: 'host', members: [] });
    const det = h.brain.addDetection({
      type: 'C2',
      category: 'COMMAND & CONTROL',
      dstIps: ['203.0.113.50', '203.0.113.7'],
      tags: ['block'],
    }).id as number;
    const staticIps = memoryStaticIpStore();
    const r = await runEngineWithClaims({
      claims,
      policy: parsePolicy({
        NO_BLOCK_HOST_GROUP_NAME: 'Crown Jewels',
        STATIC_BLOCK_DESTINATION_IPS: ['203.0.113.50'],
      }),
      config: makeConfig({ allowLoopbackUpstreams: true }),
      log: h.log,
      dryRun: false,
      staticIps: () => staticIps,
    });
    expect(denies(acl)).toEqual(['203.0.113.7/32']);
    expect(h.tags('detection', det)).toContain(`VAR ID:${NACL}:${acl}/203.0.113.7/32`);
    expect(h.tags('detection', det).join()).not.toContain('203.0.113.50');
    const statics = r.actions.filter((a) => a.kind === 'static-ips');
    expect(statics).toEqual([
      expect.objectContaining({
        action: 'block',
        client: NACL,
        outcome: 'failure',
        error: expect.stringContaining('not confirmed for 1 of 1 IPs: 203.0.113.50/32'),
      }),
    ]);
    expect(staticIps.value).toEqual([]);
    // The protected address never reached the client, on either path, and the log says so.
    const logged = JSON.stringify(h.records);
    expect(logged).toContain('no-block address left out of the static list');
    expect(logged).toContain('no-block address left out');
  });
});
