/**
 * The Query-protocol actions the fake answers: DescribeNetworkAcls (ids,
 * filters, pagination), Create/Replace/DeleteNetworkAclEntry and STS
 * AssumeRole. Parameters arrive flattened (`NetworkAclId.1`, `Filter.1.Value.1`,
 * `PortRange.From`); state rules live in `model.ts`.
 */
import { randomBytes } from 'node:crypto';
import { Ec2Fault, type FakeEntry, type FakeNacl, type NaclStore } from './model.js';
import { assumeRoleXml, describeNetworkAclsXml, returnTrueXml } from './xml.js';

export function dispatch(
  action: string,
  p: Record<string, string>,
  requestId: string,
  state: NaclStore,
): string {
  switch (action) {
    case 'DescribeNetworkAcls':
      return describe(p, requestId, state);
    case 'CreateNetworkAclEntry':
      state.create(p.NetworkAclId, entryFrom(p));
      return returnTrueXml(action, requestId);
    case 'ReplaceNetworkAclEntry':
      state.replace(p.NetworkAclId, entryFrom(p));
      return returnTrueXml(action, requestId);
    case 'DeleteNetworkAclEntry':
      state.delete(p.NetworkAclId, Number(p.RuleNumber), bool(p, 'Egress'));
      return returnTrueXml(action, requestId);
    case 'AssumeRole': {
      if (!p.RoleArn || !p.RoleSessionName) throw new Ec2Fault('MissingParameter', 'RoleArn is required');
      const ttl = Number(p.DurationSeconds ?? 3600);
      return assumeRoleXml(requestId, p.RoleArn, {
        accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(20).toString('base64'),
        sessionToken: randomBytes(32).toString('base64'),
        expiration: new Date(Date.now() + ttl * 1000),
      });
    }
    default:
      throw new Ec2Fault('InvalidAction', `The action ${action} is not valid for this web service.`);
  }
}

function describe(p: Record<string, string>, requestId: string, state: NaclStore): string {
  // Named ids that do not exist fail the whole call (InvalidNetworkAclID.NotFound); a
  // `network-acl-id` filter that matches nothing just returns fewer NACLs (aws-nacl.md §2.1).
  const ids = indexed(p, 'NetworkAclId');
  let nacls: FakeNacl[] = ids.length ? ids.map((id) => state.get(id)) : [...state.nacls.values()];
  for (let i = 1; p[`Filter.${i}.Name`] !== undefined; i++) {
    const name = p[`Filter.${i}.Name`] ?? '';
    const values = indexed(p, `Filter.${i}.Value`);
    nacls = nacls.filter((n) => matchesFilter(n, name, values));
  }
  const start = p.NextToken ? Number(Buffer.from(p.NextToken, 'base64url').toString()) : 0;
  const max = p.MaxResults ? Math.max(5, Math.min(1000, Number(p.MaxResults))) : nacls.length || 1;
  const page = nacls.slice(start, start + max).map((n) => ({ ...n, entries: state.visible(n) }));
  const next =
    start + max < nacls.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return describeNetworkAclsXml(requestId, page, next);
}

function matchesFilter(n: FakeNacl, name: string, values: string[]): boolean {
  const any = (pred: (e: FakeEntry) => unknown) => n.entries.some(pred);
  switch (name) {
    case 'network-acl-id':
      return values.includes(n.networkAclId);
    case 'vpc-id':
      return values.includes(n.vpcId);
    case 'default':
      return values.includes(String(n.isDefault));
    case 'owner-id':
      return values.includes(n.ownerId);
    case 'entry.cidr':
      return any((e) => e.cidrBlock && values.includes(e.cidrBlock));
    case 'entry.ipv6-cidr':
      return any((e) => e.ipv6CidrBlock && values.includes(e.ipv6CidrBlock));
    case 'entry.egress':
      return any((e) => values.includes(String(e.egress)));
    case 'entry.rule-action':
      return any((e) => values.includes(e.ruleAction));
    case 'entry.rule-number':
      return any((e) => values.includes(String(e.ruleNumber)));
    default:
      throw new Ec2Fault('InvalidParameterValue', `The filter '${name}' is invalid`);
  }
}

function entryFrom(p: Record<string, string>): FakeEntry {
  if (p.RuleNumber === undefined || p.Protocol === undefined || p.RuleAction === undefined) {
    throw new Ec2Fault('MissingParameter', 'The request must contain ruleNumber, protocol and ruleAction');
  }
  const e: FakeEntry = {
    ruleNumber: /^\d+$/.test(p.RuleNumber) ? Number(p.RuleNumber) : Number.NaN,
    egress: bool(p, 'Egress'),
    protocol: p.Protocol,
    ruleAction: p.RuleAction as FakeEntry['ruleAction'],
  };
  if (p.CidrBlock !== undefined) e.cidrBlock = p.CidrBlock;
  if (p.Ipv6CidrBlock !== undefined) e.ipv6CidrBlock = p.Ipv6CidrBlock;
  if (p['PortRange.From'] !== undefined) {
    e.portRange = { from: Number(p['PortRange.From']), to: Number(p['PortRange.To'] ?? p['PortRange.From']) };
  }
  if (p['Icmp.Type'] !== undefined)
    e.icmpTypeCode = { type: Number(p['Icmp.Type']), code: Number(p['Icmp.Code'] ?? -1) };
  return e;
}

function bool(p: Record<string, string>, key: string): boolean {
  const v = p[key];
  if (v === undefined)
    throw new Ec2Fault('MissingParameter', `The request must contain the parameter ${key}`);
  if (v !== 'true' && v !== 'false')
    throw new Ec2Fault('InvalidParameterValue', `Invalid boolean for ${key}`);
  return v === 'true';
}

/** Values of a flattened Query list: `Key.1`, `Key.2`, … */
function indexed(p: Record<string, string>, key: string): string[] {
  const out: string[] = [];
  for (let i = 1; p[`${key}.${i}`] !== undefined; i++) out.push(p[`${key}.${i}`] as string);
  return out;
}
