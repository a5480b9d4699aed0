/** One scenario per VAR selection rule (vectra.md §2.2–2.5), against the fake brain. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness, testClientTag } from './harness.js';

const MARKER = 'VAR Host Blocked';
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const blockedIds = (r: Awaited<ReturnType<Harness['run']>>) => r.plan?.hosts.toBlock.map((e) => e.id) ?? [];

describe('host selection', () => {
  it('tag: blocks exact tag holders only (the API filter is a substring match)', async () => {
    const exact = h.brain.addHost({ name: 'a', ip: '10.0.0.1', tags: ['vectra_host_block', 'finance'] });
    const near = h.brain.addHost({ name: 'b', ip: '10.0.0.2', tags: ['vectra_host_block_later'] });
    const r = await h.run();
    expect(r.plan?.hosts.toBlock).toEqual([
      { id: exact.id, name: 'a', reasons: ['tag'], clients: ['Test Client'] },
    ]);
    const id = exact.id as number;
    expect(h.tags('host', id)).toEqual(['vectra_host_block', 'finance', MARKER, testClientTag('host', id)]);
    expect(h.tags('host', near.id as number)).toEqual(['vectra_host_block_later']);
    expect(h.notes('host', id)).toEqual([
      expect.stringMatching(/^Blocked via relay engine on .+ UTC \(Test Client\)$/),
    ]);
  });

  it('group: members of the Block group are blocked; only candidates are fetched', async () => {
    const members = [1, 2, 3].map((i) => h.brain.addHost({ name: `g${i}`, ip: `10.0.1.${i}` }).id as number);
    h.brain.addHost({ name: 'other' });
    h.brain.addGroup({ name: 'Block', type: 'host', members });
    h.brain.addGroup({ name: 'Blockers', type: 'host', members: [4] });
    const r = await h.run();
    expect(blockedIds(r)).toEqual(members);
    expect(r.plan?.hosts.toBlock.every((e) => e.reasons.join() === 'group')).toBe(true);
    const gets = h.brain.requests.filter((q) => q.method === 'GET' && /\/hosts\/\d+$/.test(q.path));
    expect(gets).toHaveLength(3);
  });

  it('score "and" uses >= on both; "or" on either', async () => {
    const both = h.brain.addHost({ name: 'both', threat: 60, certainty: 70 }).id;
    const threatOnly = h.brain.addHost({ name: 't', threat: 60, certainty: 10 }).id;
    h.brain.addHost({ name: 'low', threat: 59, certainty: 69 });
    const and = await h.run(
      { BLOCK_HOST_THREAT_CERTAINTY: { threat: 60, condition: 'and', certainty: 70 } },
      { dryRun: true },
    );
    expect(blockedIds(and)).toEqual([both]);
    const or = await h.run({ BLOCK_HOST_THREAT_CERTAINTY: [60, 'or', 70] }, { dryRun: true });
    expect(blockedIds(or)).toEqual([both, threatOnly]);
    expect(or.plan?.hosts.toBlock[0]?.reasons).toEqual(['score']);
  });

  it('detection types: the source host must score strictly above the bar', async () => {
    const above = h.brain.addHost({ name: 'above', threat: 51, certainty: 51 }).id as number;
    const at = h.brain.addHost({ name: 'at', threat: 50, certainty: 50 }).id as number;
    for (const hostId of [above, at])
      h.brain.addDetection({ type: 'Hidden DNS Tunnel', category: 'EXFILTRATION', hostId });
    h.brain.addDetection({
      type: 'Hidden DNS Tunnel',
      category: 'EXFILTRATION',
      hostId: above,
      state: 'fixed',
    });
    const r = await h.run(
      {
        BLOCK_HOST_DETECTION_TYPES: ['Hidden DNS Tunnel'],
        BLOCK_HOST_DETECTION_TYPES_MIN_TC_SCORE: [50, 'and', 50],
      },
      { dryRun: true },
    );
    expect(r.plan?.hosts.toBlock).toEqual([
      { id: above, name: 'above', reasons: ['detection-type'], clients: ['Test Client'] },
    ]);
    // The scored query at the same bar uses >=, so `at` is selected there.
    const scored = await h.run({ BLOCK_HOST_THREAT_CERTAINTY: [50, 'and', 50] }, { dryRun: true });
    expect(blockedIds(scored)).toEqual([above, at]);
  });

  it('no-block precedence: a matching NoBlock member is never blocked, and is unblocked if it was', async () => {
    const safe = h.brain.addHost({ name: 'safe', tags: ['vectra_host_block'] }).id as number;
    const was = h.brain.addHost({
      name: 'was',
      tags: ['vectra_host_block', MARKER, testClientTag('host', 99)],
    }).id as number;
    h.brain.addGroup({ name: 'NoBlock', type: 'host', members: [safe, was] });
    const r = await h.run();
    expect(r.plan?.hosts.toBlock).toEqual([]);
    expect(r.plan?.hosts.toUnblock).toEqual([
      { id: was, name: 'was', reasons: ['no-block'], clients: ['Test Client'] },
    ]);
    expect(h.tags('host', safe)).toEqual(['vectra_host_block']);
    expect(h.tags('host', was)).toEqual(['vectra_host_block']);
    expect(h.notes('host', was)).toEqual([
      expect.stringMatching(/^Unblocked via relay engine on .+ \(Test Client\)$/),
    ]);
  });

  it('auto-unblock: a blocked host whose block tag is gone is unblocked', async () => {
    const id = h.brain.addHost({ name: 'x', tags: ['keep', MARKER, testClientTag('host', 7)] }).id as number;
    const r = await h.run();
    expect(r.plan?.hosts.toUnblock[0]?.reasons).toEqual(['no-longer-matching']);
    expect(h.tags('host', id)).toEqual(['keep']);
  });

  it('client restriction tags route an object to the named module only', async () => {
    const other = h.brain.addHost({ name: 'o', tags: ['vectra_host_block', 'client:pan'] }).id as number;
    const mine = h.brain.addHost({ name: 'm', tags: ['vectra_host_block', 'Client:Test_Client'] })
      .id as number;
    const r = await h.run();
    const byId = new Map(r.plan?.hosts.toBlock.map((e) => [e.id, e.clients]));
    // No configured client may block `other`: reported as unblockable, never attempted.
    expect(byId.has(other)).toBe(false);
    expect(r.plan?.hosts.unblockable.map((e) => [e.id, e.unblockable])).toEqual([
      [other, 'no-eligible-client'],
    ]);
    expect(byId.get(mine)).toEqual(['Test Client']);
    expect(h.tags('host', other)).not.toContain(MARKER);
    expect(h.tags('host', mine)).toContain(MARKER);
  });
});

describe('explicit unblock', () => {
  const policy = {
    EXPLICIT_UNBLOCK: true,
    BLOCK_HOST_TAG: 'isolate-me',
    UNBLOCK_HOST_TAG: 'release-me',
  };

  it('removes the unblock AND the block tag (custom names), so the next run does not re-block', async () => {
    const id = h.brain.addHost({
      name: 'x',
      tags: ['isolate-me', 'release-me', 'keep', MARKER, testClientTag('host', 1)],
    }).id as number;
    const stale = h.brain.addHost({ name: 'stale', tags: [MARKER, testClientTag('host', 2)] }).id as number;
    const first = await h.run(policy);
    expect(first.plan?.hosts.toUnblock).toEqual([
      { id, name: 'x', reasons: ['explicit-unblock'], clients: ['Test Client'] },
    ]);
    expect(h.tags('host', id)).toEqual(['keep']);
    // Explicit mode: a blocked host without the unblock tag stays blocked.
    expect(h.tags('host', stale)).toContain(MARKER);
    const second = await h.run(policy);
    expect(second.plan?.hosts.toBlock).toEqual([]);
    expect(h.tags('host', id)).toEqual(['keep']);
  });

  it('an unblock tag wins over the block tag on a host that is not blocked', async () => {
    const id = h.brain.addHost({ name: 'y', tags: ['isolate-me', 'release-me'] }).id as number;
    const r = await h.run(policy);
    expect(r.plan?.hosts.toBlock).toEqual([]);
    expect(h.tags('host', id)).toEqual([]);
  });
});

describe('accounts and detections', () => {
  it('accounts: tag, group (by uid) and detection types via the source account', async () => {
    const tagged = h.brain.addAccount({ name: 'O365:a@x', tags: ['vectra_account_block'] }).id as number;
    const grouped = h.brain.addAccount({ name: 'b', uid: 'uid-b' }).id as number;
    const typed = h.brain.addAccount({ name: 'c', threat: 90, certainty: 90 }).id as number;
    h.brain.addGroup({ name: 'Block', type: 'account', members: ['uid-b'] });
    h.brain.addDetection({ type: 'Privilege Anomaly', category: 'LATERAL MOVEMENT', accountId: typed });
    const r = await h.run({
      BLOCK_ACCOUNT_DETECTION_TYPES: ['Privilege Anomaly'],
      BLOCK_ACCOUNT_DETECTION_TYPES_MIN_TC_SCORE: [80, 'or', 80],
    });
    expect(r.plan?.accounts.toBlock.map((e) => [e.id, e.reasons])).toEqual([
      [tagged, ['tag']],
      [grouped, ['group']],
      [typed, ['detection-type']],
    ]);
    expect(h.tags('account', grouped)).toEqual(['VAR Account Blocked', testClientTag('account', grouped)]);
  });

  it('detections: tag, type and host score; NoBlock hosts protect their detections', async () => {
    const hot = h.brain.addHost({ name: 'hot', threat: 95, certainty: 95 }).id as number;
    const safe = h.brain.addHost({ name: 'safe', threat: 95, certainty: 95 }).id as number;
    h.brain.addGroup({ name: 'NoBlock', type: 'host', members: [safe] });
    const onHot = h.brain.addDetection({
      type: 'C2',
      category: 'COMMAND & CONTROL',
      hostId: hot,
      dstIps: ['203.0.113.5'],
    }).id as number;
    const info = h.brain.addDetection({ type: 'Novel', category: 'INFO', hostId: hot }).id;
    const onSafe = h.brain.addDetection({ type: 'C2', category: 'COMMAND & CONTROL', hostId: safe }).id;
    const tagged = h.brain.addDetection({
      type: 'X',
      category: 'EXFILTRATION',
      tags: ['block'],
      dstIps: ['203.0.113.6'],
    }).id as number;
    h.brain.addDetection({ type: 'X', category: 'EXFILTRATION', tags: ['blockade'] });
    const typed = h.brain.addDetection({
      type: 'Suspicious Relay',
      category: 'COMMAND & CONTROL',
      dstIps: ['203.0.113.7'],
    }).id;
    const r = await h.run({
      EXTERNAL_BLOCK_HOST_TC: [90, 'and', 90],
      EXTERNAL_BLOCK_DETECTION_TYPES: ['Suspicious Relay'],
    });
    const plan = new Map(r.plan?.detections.toBlock.map((e) => [e.id, e.reasons]));
    expect([...plan.keys()]).toEqual([onHot, tagged, typed]);
    expect(plan.get(onHot)).toEqual(['host-score']);
    expect([...plan.keys()]).not.toContain(info);
    expect([...plan.keys()]).not.toContain(onSafe);
    expect(h.tags('detection', tagged)).toEqual([
      'block',
      'VAR Detection Blocked',
      testClientTag('detection', tagged),
    ]);
  });
});

describe('no-block detections', () => {
  it('every detection of a NoBlock host is protected, whatever its state, triage or category', async () => {
    const safe = h.brain.addHost({ name: 'safe' }).id as number;
    const other = h.brain.addHost({ name: 'other' }).id as number;
    h.brain.addGroup({ name: 'NoBlock', type: 'host', members: [safe] });
    const c2 = { type: 'C2', category: 'COMMAND & CONTROL', dstIps: ['203.0.113.8'] };
    const triaged = h.brain.addDetection({ ...c2, hostId: safe, isTriaged: true }).id as number;
    const info = h.brain.addDetection({ type: 'C2', category: 'INFO', hostId: safe }).id as number;
    const fixedTagged = h.brain.addDetection({ ...c2, hostId: safe, state: 'fixed', tags: ['block'] })
      .id as number;
    const was = h.brain.addDetection({
      ...c2,
      hostId: safe,
      isTriaged: true,
      tags: ['block', 'VAR Detection Blocked', testClientTag('detection', 9)],
    }).id as number;
    const control = h.brain.addDetection({ ...c2, hostId: other }).id as number;
    const r = await h.run({ EXTERNAL_BLOCK_DETECTION_TYPES: ['C2'] });
    expect(r.plan?.detections.toBlock.map((e) => e.id)).toEqual([control]);
    expect(r.plan?.detections.toUnblock).toEqual([
      { id: was, name: 'C2', reasons: ['no-block'], clients: ['Test Client'] },
    ]);
    expect(r.plan?.detections.noBlock).toBe(4);
    for (const id of [triaged, info]) expect(h.tags('detection', id)).toEqual([]);
    expect(h.tags('detection', fixedTagged)).toEqual(['block']);
    expect(h.tags('detection', was)).toEqual(['block']);
  });
});

describe('urgency (v3)', () => {
  it('an int urgency replaces threat/certainty; 101 selects nothing; null falls back to scores', async () => {
    const v3 = await startHarness('v3');
    try {
      const urgent = v3.brain.addHost({ name: 'u', threat: 10, certainty: 10, urgency: 85 }).id;
      const scored = v3.brain.addHost({ name: 's', threat: 80, certainty: 80, urgency: 40 }).id;
      const tc = [70, 'and', 70];
      const byUrgency = await v3.run(
        { BLOCK_HOST_URGENCY: 80, BLOCK_HOST_THREAT_CERTAINTY: tc },
        { dryRun: true },
      );
      expect(byUrgency.plan?.hosts.toBlock.map((e) => [e.id, e.reasons])).toEqual([[urgent, ['urgency']]]);
      const off = await v3.run({ BLOCK_HOST_THREAT_CERTAINTY: tc }, { dryRun: true });
      expect(off.plan?.hosts.toBlock).toEqual([]);
      const tcMode = await v3.run(
        { BLOCK_HOST_URGENCY: null, BLOCK_HOST_THREAT_CERTAINTY: tc },
        { dryRun: true },
      );
      expect(tcMode.plan?.hosts.toBlock.map((e) => e.id)).toEqual([scored]);
    } finally {
      await v3.close();
    }
  });
});
