import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  ReplaceNetworkAclEntryCommand,
} from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalCidr, type FakeEc2, startFakeEc2 } from '../../../src/sandbox/ec2/index.js';

let fake: FakeEc2;
let ec2: EC2Client;
let acl: string;

beforeEach(async () => {
  fake = await startFakeEc2({ nacls: [{ ipv6: true }] });
  acl = fake.naclIds[0] as string;
  ec2 = new EC2Client({
    region: 'eu-west-1',
    endpoint: fake.url,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
});
afterEach(async () => {
  ec2.destroy();
  await fake.close();
});

const deny = (RuleNumber: number, Egress: boolean, cidr: string) =>
  new CreateNetworkAclEntryCommand({
    NetworkAclId: acl,
    RuleNumber,
    Egress,
    Protocol: '-1',
    RuleAction: 'deny',
    ...(cidr.includes(':') ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }),
  });

const errorOf = async (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable('expected an EC2 error'),
    (e: { name: string; $metadata: { httpStatusCode: number } }) => ({
      name: e.name,
      status: e.$metadata.httpStatusCode,
    }),
  );

describe('fake EC2: NACL rules as AWS enforces them', () => {
  it('starts with the default NACL: 100 allow, 101 allow ::/0 and the * rules in both directions', async () => {
    const out = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl] }));
    const n = out.NetworkAcls?.[0];
    expect(n?.IsDefault).toBe(true);
    expect(
      n?.Entries?.map((e) => [e.Egress, e.RuleNumber, e.RuleAction, e.CidrBlock ?? e.Ipv6CidrBlock]),
    ).toEqual([
      [false, 100, 'allow', '0.0.0.0/0'],
      [false, 101, 'allow', '::/0'],
      [false, 32767, 'deny', '0.0.0.0/0'],
      [false, 32768, 'deny', '::/0'],
      [true, 100, 'allow', '0.0.0.0/0'],
      [true, 101, 'allow', '::/0'],
      [true, 32767, 'deny', '0.0.0.0/0'],
      [true, 32768, 'deny', '::/0'],
    ]);
  });

  it('stores canonical CIDRs and keeps IPv6 entries without a CidrBlock key', async () => {
    await ec2.send(deny(1, true, '198.51.100.77/24'));
    await ec2.send(deny(2, true, '2001:DB8:0:0::1/64'));
    const out = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl] }));
    const mine = out.NetworkAcls?.[0]?.Entries?.filter((e) => e.RuleNumber === 1 || e.RuleNumber === 2);
    expect(mine).toEqual([
      { CidrBlock: '198.51.100.0/24', Egress: true, Protocol: '-1', RuleAction: 'deny', RuleNumber: 1 },
      { Ipv6CidrBlock: '2001:db8::/64', Egress: true, Protocol: '-1', RuleAction: 'deny', RuleNumber: 2 },
    ]);
  });

  it('has one number space per direction, shared by IPv4 and IPv6', async () => {
    await ec2.send(deny(5, true, '203.0.113.1/32'));
    await ec2.send(deny(5, false, '203.0.113.1/32'));
    expect(await errorOf(ec2.send(deny(5, true, '2001:db8::1/128')))).toEqual({
      name: 'NetworkAclEntryAlreadyExists',
      status: 400,
    });
  });

  it('enforces the quota per direction and per family, excluding the * rules', async () => {
    await fake.close();
    fake = await startFakeEc2({ quota: 3, nacls: [{ ipv6: true }] });
    acl = fake.naclIds[0] as string;
    ec2 = new EC2Client({
      region: 'eu-west-1',
      endpoint: fake.url,
      credentials: { accessKeyId: 'A', secretAccessKey: 'B' },
      maxAttempts: 1,
    });
    await ec2.send(deny(1, true, '203.0.113.1/32'));
    await ec2.send(deny(2, true, '203.0.113.2/32'));
    expect((await errorOf(ec2.send(deny(3, true, '203.0.113.3/32')))).name).toBe(
      'NetworkAclEntryLimitExceeded',
    );
    await ec2.send(deny(3, false, '203.0.113.3/32'));
    await ec2.send(deny(3, true, '2001:db8::3/128'));
  });

  it('validates rule numbers, CIDRs and required parameters', async () => {
    expect((await errorOf(ec2.send(deny(0, true, '203.0.113.1/32')))).name).toBe('InvalidParameterValue');
    expect((await errorOf(ec2.send(deny(32767, true, '203.0.113.1/32')))).name).toBe('InvalidParameterValue');
    expect((await errorOf(ec2.send(deny(1, true, '203.0.113.1')))).name).toBe('InvalidParameterValue');
    const tcpNoPorts = new CreateNetworkAclEntryCommand({
      NetworkAclId: acl,
      RuleNumber: 1,
      Egress: true,
      Protocol: '6',
      RuleAction: 'deny',
      CidrBlock: '203.0.113.1/32',
    });
    expect((await errorOf(ec2.send(tcpNoPorts))).name).toBe('MissingParameter');
  });

  it('answers NotFound for unknown NACLs and entries, Malformed for bad ids', async () => {
    const missing = new DescribeNetworkAclsCommand({ NetworkAclIds: [acl, 'acl-0000000000000000a'] });
    expect(await errorOf(ec2.send(missing))).toEqual({ name: 'InvalidNetworkAclID.NotFound', status: 400 });
    const gone = new DeleteNetworkAclEntryCommand({ NetworkAclId: acl, RuleNumber: 7, Egress: true });
    expect((await errorOf(ec2.send(gone))).name).toBe('InvalidNetworkAclEntry.NotFound');
    const bad = new DescribeNetworkAclsCommand({ NetworkAclIds: ['nacl-1'] });
    expect((await errorOf(ec2.send(bad))).name).toBe('InvalidNetworkAclId.Malformed');
  });

  it('replaces an existing entry and refuses to replace a missing one', async () => {
    await ec2.send(deny(9, true, '203.0.113.1/32'));
    const replace = (RuleNumber: number) =>
      new ReplaceNetworkAclEntryCommand({
        NetworkAclId: acl,
        RuleNumber,
        Egress: true,
        Protocol: '-1',
        RuleAction: 'allow',
        CidrBlock: '203.0.113.0/24',
      });
    await ec2.send(replace(9));
    expect(fake.entries(acl).find((e) => e.ruleNumber === 9 && e.egress)?.ruleAction).toBe('allow');
    expect((await errorOf(ec2.send(replace(10)))).name).toBe('InvalidNetworkAclEntry.NotFound');
  });

  it('answers DryRun with DryRunOperation (412) and writes nothing', async () => {
    const cmd = new CreateNetworkAclEntryCommand({
      NetworkAclId: acl,
      RuleNumber: 1,
      Egress: true,
      Protocol: '-1',
      RuleAction: 'deny',
      CidrBlock: '203.0.113.1/32',
      DryRun: true,
    });
    expect(await errorOf(ec2.send(cmd))).toEqual({ name: 'DryRunOperation', status: 412 });
    expect(fake.entries(acl).some((e) => e.ruleNumber === 1)).toBe(false);
  });

  it('filters by network-acl-id and default, and paginates with MaxResults/NextToken', async () => {
    const other = fake.addNacl({ isDefault: false });
    const byId = await ec2.send(
      new DescribeNetworkAclsCommand({ Filters: [{ Name: 'network-acl-id', Values: [other] }] }),
    );
    expect(byId.NetworkAcls?.map((n) => n.NetworkAclId)).toEqual([other]);
    expect(byId.NetworkAcls?.[0]?.Entries?.map((e) => e.RuleNumber)).toEqual([32767, 32767]);
    const defaults = await ec2.send(
      new DescribeNetworkAclsCommand({ Filters: [{ Name: 'default', Values: ['true'] }] }),
    );
    expect(defaults.NetworkAcls?.map((n) => n.NetworkAclId)).toEqual([acl]);
    for (let i = 0; i < 5; i++) fake.addNacl();
    const page1 = await ec2.send(new DescribeNetworkAclsCommand({ MaxResults: 5 }));
    expect(page1.NetworkAcls).toHaveLength(5);
    const page2 = await ec2.send(
      new DescribeNetworkAclsCommand({ MaxResults: 5, NextToken: page1.NextToken }),
    );
    expect(page2.NetworkAcls).toHaveLength(2);
    expect(page2.NextToken).toBeUndefined();
  });
});

describe('fake EC2: wire protocol and fault injection', () => {
  it('requires an Authorization header but does not check the signature', async () => {
    const res = await fetch(fake.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeNetworkAcls&Version=2016-11-15',
    });
    expect(res.status).toBe(401);
    const xml = await res.text();
    expect(xml).toMatch(
      /<Response><Errors><Error><Code>MissingAuthenticationToken<\/Code><Message>.+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>/,
    );
    const signedAnyhow = await fetch(fake.url, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-2/ec2/aws4_request, Signature=00',
      },
      body: 'Action=DescribeNetworkAcls&Version=2016-11-15',
    });
    expect(signedAnyhow.status).toBe(200);
    expect(await signedAnyhow.text()).toContain(
      '<DescribeNetworkAclsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">',
    );
    expect(fake.calls.at(-1)).toMatchObject({
      action: 'DescribeNetworkAcls',
      region: 'us-east-2',
      accessKeyId: 'AKID',
    });
  });

  it('logs every call with its flattened parameters and status', async () => {
    await ec2.send(deny(3, true, '203.0.113.1/32'));
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({
      action: 'CreateNetworkAclEntry',
      status: 200,
      region: 'eu-west-1',
      params: {
        NetworkAclId: acl,
        RuleNumber: '3',
        Egress: 'true',
        Protocol: '-1',
        RuleAction: 'deny',
        CidrBlock: '203.0.113.1/32',
      },
    });
  });

  it('injects RequestLimitExceeded as HTTP 503 for the next N calls, then recovers', async () => {
    fake.injectThrottle(1, 'DescribeNetworkAcls');
    expect(await errorOf(ec2.send(new DescribeNetworkAclsCommand({})))).toEqual({
      name: 'RequestLimitExceeded',
      status: 503,
    });
    await ec2.send(new DescribeNetworkAclsCommand({}));
  });

  it('injects UnauthorizedOperation per action until cleared', async () => {
    fake.injectUnauthorized('CreateNetworkAclEntry');
    expect(await errorOf(ec2.send(deny(1, true, '203.0.113.1/32')))).toEqual({
      name: 'UnauthorizedOperation',
      status: 403,
    });
    await ec2.send(new DescribeNetworkAclsCommand({}));
    fake.clearInjections();
    await ec2.send(deny(1, true, '203.0.113.1/32'));
  });

  it('injects latency per call', async () => {
    fake.setLatency(60);
    const t0 = Date.now();
    await ec2.send(new DescribeNetworkAclsCommand({}));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('serves a read-only JSON view of the state at GET /_state', async () => {
    await ec2.send(deny(4, false, '2001:db8::4/128'));
    const state = (await (await fetch(`${fake.url}/_state`)).json()) as {
      quota: number;
      networkAcls: { networkAclId: string; entries: { ruleNumber: number; ipv6CidrBlock?: string }[] }[];
    };
    expect(state.quota).toBe(20);
    expect(state.networkAcls[0]?.networkAclId).toBe(acl);
    expect(state.networkAcls[0]?.entries[0]).toMatchObject({
      ruleNumber: 4,
      ipv6CidrBlock: '2001:db8::4/128',
    });
  });
});

describe('fake EC2 canonical CIDRs', () => {
  it.each([
    ['198.51.100.77/24', 4, '198.51.100.0/24'],
    ['10.1.2.3/0', 4, '0.0.0.0/0'],
    ['2001:db8:0:0:0:0:0:1/128', 6, '2001:db8::1/128'],
    ['2001:db8:aaaa:bbbb::/33', 6, '2001:db8:8000::/33'],
  ] as const)('%s → %s', (input, family, out) => expect(canonicalCidr(input, family)).toBe(out));
});
