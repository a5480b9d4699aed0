import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import { AWS_NACL_CLIENT_NAME } from '../../../src/vendors/aws-nacl/index.js';
import { actions, denies, detection, type Harness, host, startHarness, stopHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
});

describe('AWS NACL block client', () => {
  it('blocks a host IP in both directions with one describe and one create per direction', async () => {
    h = await startHarness();
    const ids = await h.client.blockHost(host('198.51.100.77'));
    expect(ids).toEqual([`${h.naclId}/198.51.100.77/32`]);
    expect(denies(h)).toEqual(['egress 198.51.100.77/32', 'ingress 198.51.100.77/32']);
    expect(actions(h)).toEqual(['DescribeNetworkAcls', 'CreateNetworkAclEntry', 'CreateNetworkAclEntry']);
    const creates = h.fake.calls.filter((c) => c.action === 'CreateNetworkAclEntry').map((c) => c.params);
    for (const p of creates) {
      expect(p).toMatchObject({
        Protocol: '-1',
        RuleAction: 'deny',
        RuleNumber: '1',
        CidrBlock: '198.51.100.77/32',
      });
    }
    expect(creates.map((p) => p.Egress).sort()).toEqual(['false', 'true']);
  });

  it('is idempotent: a second block writes nothing and returns the same id', async () => {
    h = await startHarness();
    const first = await h.client.blockHost(host('198.51.100.77'));
    h.fake.clearCalls();
    // A different text form of the same address must be recognised as the same block.
    const second = await h.client.blockStaticDstIps({ kind: 'static-ips', dstIps: ['198.51.100.77/32'] });
    expect(second.map((e) => e.id)).toEqual(first);
    expect(actions(h)).toEqual(['DescribeNetworkAcls']);
    expect(denies(h)).toHaveLength(2);
  });

  it('leaves the default 100 allow and the * rules untouched through block and unblock', async () => {
    h = await startHarness({ nacls: [{ ipv6: true }] });
    const before = h.fake.entries(h.naclId);
    const ids = await h.client.blockHost(host('2001:DB8::77'));
    expect(ids).toEqual([`${h.naclId}/2001:db8::77/128`]);
    await h.client.unblockHost(host('2001:db8::77', { [AWS_NACL_CLIENT_NAME]: ids }));
    expect(h.fake.entries(h.naclId)).toEqual(before);
  });

  it('round-trips element ids: unblock host removes exactly what block host returned', async () => {
    h = await startHarness();
    const ids = await h.client.blockHost(host('203.0.113.9'));
    await h.client.blockHost(host('203.0.113.10'));
    h.fake.clearCalls();
    const removed = await h.client.unblockHost(
      host('203.0.113.9', { [AWS_NACL_CLIENT_NAME]: ids, 'Other Client': ['x'] }),
    );
    expect(removed).toEqual(ids);
    expect(denies(h)).toEqual(['egress 203.0.113.10/32', 'ingress 203.0.113.10/32']);
    expect(actions(h)).toEqual(['DescribeNetworkAcls', 'DeleteNetworkAclEntry', 'DeleteNetworkAclEntry']);
  });

  it('unblock is idempotent: removing what is already gone succeeds without writes', async () => {
    h = await startHarness();
    const ids = await h.client.blockHost(host('203.0.113.9'));
    const tagged = host('203.0.113.9', { [AWS_NACL_CLIENT_NAME]: ids });
    await h.client.unblockHost(tagged);
    h.fake.clearCalls();
    expect(await h.client.unblockHost(tagged)).toEqual(ids);
    expect(actions(h)).toEqual(['DescribeNetworkAcls']);
  });

  it('treats an entry deleted between read and delete (InvalidNetworkAclEntry.NotFound) as success', async () => {
    h = await startHarness();
    const ids = await h.client.blockHost(host('203.0.113.9'));
    const naclId = h.naclId;
    h.fake.beforeNext('DeleteNetworkAclEntry', (s) => s.delete(naclId, 1, true));
    expect(await h.client.unblockHost(host(null, { [AWS_NACL_CLIENT_NAME]: ids }))).toEqual(ids);
    expect(denies(h)).toEqual([]);
  });

  it('never touches foreign entries, inside or outside the band, even for the same CIDR', async () => {
    h = await startHarness();
    const foreign = [
      {
        ruleNumber: 1,
        egress: true,
        protocol: '-1',
        ruleAction: 'allow' as const,
        cidrBlock: '192.0.2.0/24',
      },
      {
        ruleNumber: 5,
        egress: true,
        protocol: '-1',
        ruleAction: 'allow' as const,
        cidrBlock: '198.51.100.7/32',
      },
      {
        ruleNumber: 2,
        egress: true,
        protocol: '6',
        ruleAction: 'deny' as const,
        cidrBlock: '198.51.100.7/32',
        portRange: { from: 22, to: 22 },
      },
      {
        ruleNumber: 150,
        egress: true,
        protocol: '-1',
        ruleAction: 'deny' as const,
        cidrBlock: '198.51.100.7/32',
      },
      { ruleNumber: 3, egress: false, protocol: '-1', ruleAction: 'allow' as const, cidrBlock: '10.0.0.0/8' },
    ];
    for (const e of foreign) h.fake.addForeignEntry(h.naclId, e);
    const snapshot = () =>
      h?.fake
        .entries(h.naclId)
        .filter((e) => foreign.some((f) => f.ruleNumber === e.ruleNumber && f.egress === e.egress));
    const before = snapshot();
    const ids = await h.client.blockHost(host('198.51.100.7'));
    // Lowest free numbers: egress 3 (1 and 2 are foreign, and below the allow at 5), ingress 1.
    const mine = h.fake
      .entries(h.naclId)
      .filter((e) => e.ruleAction === 'deny' && e.protocol === '-1' && e.ruleNumber < 100);
    expect(mine.map((e) => [e.egress, e.ruleNumber])).toEqual([
      [false, 1],
      [true, 3],
    ]);
    await h.client.unblockHost(host(null, { [AWS_NACL_CLIENT_NAME]: ids }));
    expect(snapshot()).toEqual(before);
    expect(h.fake.entries(h.naclId).filter((e) => e.ruleNumber === 150)).toHaveLength(1);
  });

  it('ignores element ids for NACLs the token does not configure', async () => {
    h = await startHarness();
    const other = h.fake.addNacl();
    h.fake.addForeignEntry(other, {
      ruleNumber: 1,
      egress: true,
      protocol: '-1',
      ruleAction: 'deny',
      cidrBlock: '203.0.113.9/32',
    });
    const removed = await h.client.unblockHost(
      host(null, { [AWS_NACL_CLIENT_NAME]: [`${other}/203.0.113.9/32`, 'garbage'] }),
    );
    expect(removed).toEqual([]);
    expect(h.fake.entries(other).some((e) => e.ruleNumber === 1)).toBe(true);
    expect(actions(h)).toEqual([]);
  });

  it('blocks and unblocks the external destination IPs of a detection across every configured NACL', async () => {
    h = await startHarness({ nacls: [{}, {}] });
    const [a, b] = h.fake.naclIds as [string, string];
    const ids = await h.client.blockDetection(detection(['203.0.113.5', '198.51.100.0/24']));
    expect(ids.sort()).toEqual(
      [`${a}/198.51.100.0/24`, `${a}/203.0.113.5/32`, `${b}/198.51.100.0/24`, `${b}/203.0.113.5/32`].sort(),
    );
    // One describe covers both NACLs.
    expect(actions(h).filter((x) => x === 'DescribeNetworkAcls')).toHaveLength(1);
    expect(denies(h, b)).toHaveLength(4);
    const removed = await h.client.unblockDetection(detection([], { [AWS_NACL_CLIENT_NAME]: ids }));
    expect(removed.sort()).toEqual(ids.sort());
    expect([...denies(h, a), ...denies(h, b)]).toEqual([]);
  });

  it('blocks and unblocks static destination IPs', async () => {
    h = await startHarness({ claims: { aws_nacl_direction: 'egress' } });
    const ids = await h.client.blockStaticDstIps({
      kind: 'static-ips',
      dstIps: ['203.0.113.5', '203.0.113.6'],
    });
    expect(ids).toHaveLength(2);
    expect(denies(h)).toEqual(['egress 203.0.113.5/32', 'egress 203.0.113.6/32']);
    expect(await h.client.unblockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.5'] })).toEqual([
      { ip: '203.0.113.5/32', id: `${h.naclId}/203.0.113.5/32` },
    ]);
    expect(denies(h)).toEqual(['egress 203.0.113.6/32']);
  });

  it('refuses protected, too wide and whole-space CIDRs without calling AWS', async () => {
    h = await startHarness({ config: { naclProtectedCidrs: ['10.0.0.0/8'] } });
    for (const ip of ['10.1.2.3', '0.0.0.0/0', '203.0.0.0/8', 'not-an-ip']) {
      await expect(h.client.blockHost(host(ip))).rejects.toMatchObject({ code: 'invalid argument' });
    }
    expect(h.fake.calls).toEqual([]);
    // In a list, refused entries are skipped and the rest is still blocked.
    expect(await h.client.blockDetection(detection(['10.9.9.9', '203.0.113.1']))).toEqual([
      `${h.naclId}/203.0.113.1/32`,
    ]);
  });

  it('returns no ids for a host without an IP', async () => {
    h = await startHarness();
    expect(await h.client.blockHost(host(null))).toEqual([]);
    expect(h.fake.calls).toEqual([]);
  });

  it('retries with another number when a concurrent writer takes the chosen one (AlreadyExists)', async () => {
    h = await startHarness({ claims: { aws_nacl_direction: 'egress' } });
    const naclId = h.naclId;
    h.fake.beforeNext('CreateNetworkAclEntry', (s) =>
      s.create(naclId, {
        ruleNumber: 1,
        egress: true,
        protocol: '-1',
        ruleAction: 'deny',
        cidrBlock: '192.0.2.1/32',
      }),
    );
    await h.client.blockHost(host('203.0.113.5'));
    expect(h.fake.calls.map((c) => `${c.action}:${c.code ?? 'ok'}`)).toEqual([
      'DescribeNetworkAcls:ok',
      'CreateNetworkAclEntry:NetworkAclEntryAlreadyExists',
      'DescribeNetworkAcls:ok',
      'CreateNetworkAclEntry:ok',
    ]);
    expect(h.fake.entries(naclId).find((e) => e.cidrBlock === '203.0.113.5/32')?.ruleNumber).toBe(2);
  });

  it('fails clearly when the owned band is full, naming the slots and how to widen it', async () => {
    h = await startHarness({ claims: { aws_nacl_rule_range: '10-11', aws_nacl_direction: 'ingress' } });
    await h.client.blockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.1', '203.0.113.2'] });
    const err = await h.client.blockHost(host('203.0.113.3')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('state conflict');
    expect((err as RelayError).message).toMatch(/band 10-11 .*all 2 slots.*aws_nacl_rule_range/);
    expect(h.fake.calls.filter((c) => c.action === 'CreateNetworkAclEntry')).toHaveLength(2);
  });

  it('fails clearly on NetworkAclEntryLimitExceeded, naming the quota code and the limit', async () => {
    h = await startHarness({ quota: 3, claims: { aws_nacl_direction: 'egress' } });
    await h.client.blockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.1', '203.0.113.2'] });
    const err = (await h.client.blockHost(host('203.0.113.3')).catch((e: unknown) => e)) as RelayError;
    expect(err.code).toBe('state conflict');
    expect(err.message).toContain('holds 3 IPv4 egress rules');
    expect(err.message).toContain('L-2AEEBF1A');
    expect(err.message).toContain('up to 40');
    // IPv6 has its own quota, so an IPv6 block still fits.
    expect(await h.client.blockHost(host('2001:db8::1'))).toEqual([`${h.naclId}/2001:db8::1/128`]);
  });

  it('dry-run exercises permissions with EC2 DryRun and writes nothing', async () => {
    h = await startHarness({ claims: { aws_nacl_dry_run: 'true' } });
    // Refused loudly: an empty answer would read as "nothing to block" to VAR and the engine.
    await expect(h.client.blockHost(host('203.0.113.5'))).rejects.toMatchObject({
      code: 'invalid argument',
      message: expect.stringMatching(
        /^aws_nacl_dry_run is on: would create egress deny rule 1 for 203\.0\.113\.5\/32 .*Nothing was changed or recorded\.$/,
      ),
    });
    expect(h.fake.calls.map((c) => `${c.action}:${c.params.DryRun ?? '-'}:${c.code ?? 'ok'}`)).toEqual([
      'DescribeNetworkAcls:-:ok',
      'CreateNetworkAclEntry:true:DryRunOperation',
      'CreateNetworkAclEntry:true:DryRunOperation',
    ]);
    expect(denies(h)).toEqual([]);
    h.fake.injectUnauthorized('CreateNetworkAclEntry');
    await expect(h.client.blockHost(host('203.0.113.5'))).rejects.toMatchObject({
      code: 'permission denied',
    });
  });

  it('fails a block that is incomplete, and the next block completes it without doubling', async () => {
    h = await startHarness();
    h.fake.injectError('InvalidParameterValue', { status: 400, count: 1, action: 'CreateNetworkAclEntry' });
    await expect(h.client.blockHost(host('203.0.113.9'))).rejects.toMatchObject({
      message: expect.stringMatching(/NACL updates done; run it again to complete\)$/),
    });
    h.fake.clearInjections();
    const ids = await h.client.blockHost(host('203.0.113.9'));
    expect(ids).toEqual([`${h.naclId}/203.0.113.9/32`]);
    expect(denies(h)).toEqual(['egress 203.0.113.9/32', 'ingress 203.0.113.9/32']);
  });

  it('grooms a host whose IP changed since its block, and leaves a current one alone', async () => {
    h = await startHarness();
    const held = { 'AWS NACL Client': [`${h.naclId}/203.0.113.20/32`] };
    expect(await h.client.groomHost(host('203.0.113.20', held))).toEqual({ block: false, unblock: false });
    expect(await h.client.groomHost(host('203.0.113.21', held))).toEqual({ block: true, unblock: true });
    expect(await h.client.groomHost(host(null, held))).toEqual({ block: false, unblock: true });
    expect(await h.client.groomHost(host('203.0.113.21'))).toEqual({ block: false, unblock: false });
  });

  it('describes once per context until it writes (an engine run re-checks many objects)', async () => {
    h = await startHarness();
    await h.client.blockHost(host('203.0.113.30'));
    h.fake.clearCalls();
    for (let i = 0; i < 5; i++) await h.client.blockHost(host('203.0.113.30')); // intact: no write
    expect(actions(h)).toEqual(['DescribeNetworkAcls']);
    h.fake.clearCalls();
    await h.client.blockHost(host('203.0.113.31')); // uses the snapshot, writes, drops it
    await h.client.blockHost(host('203.0.113.30')); // so this one reads afresh
    expect(actions(h)).toEqual(['CreateNetworkAclEntry', 'CreateNetworkAclEntry', 'DescribeNetworkAcls']);
  });

  it('reports health from one DescribeNetworkAcls', async () => {
    h = await startHarness();
    await expect(h.client.health?.()).resolves.toBeUndefined();
    expect(actions(h)).toEqual(['DescribeNetworkAcls']);
    expect(h.fake.calls[0]?.params).toMatchObject({
      'Filter.1.Name': 'network-acl-id',
      'Filter.1.Value.1': h.naclId,
    });
  });
});
