/**
 * The token's tag and no-block group claims (`vectra_block_host_tag` …) and
 * the policy document: a key the document sets wins; otherwise the claim is
 * used (the relay's respond reads the same claims); otherwise VAR's default.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  parsePolicy,
  runEngineWithClaims,
  withVectraClaims,
} from '../../src/engine/index.js';
import { CLAIMED_KEYS } from '../../src/engine/policy.js';
import { makeConfig } from '../../src/kernel/config.js';
import { VECTRA_DEFAULTS } from '../../src/vendors/vectra/config.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const CLAIMS = {
  vectra_block_host_tag: 'relay_isolate',
  vectra_unblock_host_tag: 'relay_release',
  vectra_block_account_tag: 'relay_lock',
  vectra_unblock_account_tag: 'relay_unlock',
  vectra_no_block_host_group: 'Protected Hosts',
  vectra_no_block_account_group: 'Protected Accounts',
};

const run = (policy: Record<string, unknown>, extra: Record<string, string> = CLAIMS) =>
  runEngineWithClaims({
    claims: { ...h.claims, ...extra },
    policy: parsePolicy(policy),
    config: makeConfig({ allowLoopbackUpstreams: true }),
    log: h.log,
    dryRun: true,
  });

const ids = (entries: ReadonlyArray<{ id: number }> | undefined) => entries?.map((e) => e.id) ?? [];

describe('tag and no-block group claims', () => {
  it('without the keys in the policy, the engine reads the claimed tags and groups', async () => {
    const byClaim = h.brain.addHost({ name: 'claim', tags: ['relay_isolate'] }).id as number;
    const byDefault = h.brain.addHost({ name: 'default', tags: ['vectra_host_block'] }).id as number;
    const shielded = h.brain.addHost({ name: 'shielded', tags: ['relay_isolate'] }).id as number;
    const inNoBlock = h.brain.addHost({ name: 'in-noblock', tags: ['relay_isolate'] }).id as number;
    h.brain.addGroup({ name: 'Protected Hosts', type: 'host', members: [shielded] });
    h.brain.addGroup({ name: 'NoBlock', type: 'host', members: [inNoBlock, byDefault] });
    const account = h.brain.addAccount({ name: 'a', tags: ['relay_lock'] }).id as number;
    h.brain.addAccount({ name: 'b', uid: 'uid-b', tags: ['relay_lock'] });
    h.brain.addGroup({ name: 'Protected Accounts', type: 'account', members: ['uid-b'] });

    const r = await run({});
    expect(ids(r.plan?.hosts.toBlock)).toEqual([byClaim, inNoBlock]);
    expect(ids(r.plan?.accounts.toBlock)).toEqual([account]);
    expect(r.plan?.hosts.noBlock).toBe(1);

    // Explicit unblock follows the claimed unblock tag too.
    const released = h.brain.addHost({
      name: 'released',
      tags: ['relay_release', 'VAR Host Blocked', 'VAR ID:Test Client:x'],
    }).id as number;
    const explicit = await run({ EXPLICIT_UNBLOCK: true });
    expect(ids(explicit.plan?.hosts.toUnblock)).toEqual([released]);
  });

  it('keys the policy sets win over the claims', async () => {
    const byClaim = h.brain.addHost({ name: 'claim', tags: ['relay_isolate'] }).id as number;
    const byPolicy = h.brain.addHost({ name: 'policy', tags: ['vectra_host_block'] }).id as number;
    const shielded = h.brain.addHost({ name: 'shielded', tags: ['vectra_host_block'] }).id as number;
    h.brain.addGroup({ name: 'Protected Hosts', type: 'host', members: [byPolicy] });
    h.brain.addGroup({ name: 'NoBlock', type: 'host', members: [shielded] });
    const r = await run({ BLOCK_HOST_TAG: 'vectra_host_block', NO_BLOCK_HOST_GROUP_NAME: 'NoBlock' });
    expect(ids(r.plan?.hosts.toBlock)).toEqual([byPolicy]);
    expect(ids(r.plan?.hosts.toBlock)).not.toContain(byClaim);
    // A policy `null` (no no-block group) is a choice too: the claim does not bring one back.
    const off = await run({ NO_BLOCK_ACCOUNT_GROUP_NAME: null });
    expect(off.plan?.accounts.noBlock).toBe(0);
  });

  it('without claims or keys, VAR defaults apply', async () => {
    const tagged = h.brain.addHost({ name: 'd', tags: ['vectra_host_block'] }).id as number;
    const r = await run({}, {});
    expect(ids(r.plan?.hosts.toBlock)).toEqual([tagged]);
    for (const [key, field] of Object.entries(CLAIMED_KEYS))
      expect(DEFAULT_POLICY[key as keyof typeof CLAIMED_KEYS], key).toBe(VECTRA_DEFAULTS[field]);
  });

  it('withVectraClaims replaces exactly the keys the document left to defaults', () => {
    const claims = {
      ...VECTRA_DEFAULTS,
      blockHostTag: 'c1',
      noBlockHostGroup: 'c2',
      unblockAccountTag: 'c3',
    };
    const p = withVectraClaims(
      parsePolicy({ BLOCK_HOST_TAG: 'mine', UNBLOCK_ACCOUNT_TAG: 'vectra_account_unblock' }),
      claims,
    );
    expect(p).toMatchObject({
      BLOCK_HOST_TAG: 'mine',
      NO_BLOCK_HOST_GROUP_NAME: 'c2',
      // Set to the default value explicitly: still the document's choice.
      UNBLOCK_ACCOUNT_TAG: 'vectra_account_unblock',
      BLOCK_ACCOUNT_TAG: 'vectra_account_block',
    });
    expect(parsePolicy({ BLOCK_HOST_TAG: 'mine' }).explicitKeys).toEqual(['BLOCK_HOST_TAG']);
  });
});
