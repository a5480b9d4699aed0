/**
 * In-memory network ACL state with the rules AWS really enforces, independent
 * of the blocker's own code so that a shared bug cannot hide in both:
 *
 * - rule numbers 1..32766 for user entries; the "*" deny shows as 32767 (IPv4)
 *   and 32768 (IPv6) and can be neither created nor deleted;
 * - a number is unique per direction (ingress and egress are separate spaces,
 *   IPv4 and IPv6 share one), the entry quota counts per direction per family;
 * - CIDRs are stored in canonical form (198.51.100.77/24 → 198.51.100.0/24).
 *
 * Every violation is an `Ec2Fault` carrying the AWS error code and HTTP status.
 */
import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export const DEFAULT_DENY_V4 = 32767;
export const DEFAULT_DENY_V6 = 32768;
export const MAX_USER_RULE = 32766;

export interface FakeEntry {
  ruleNumber: number;
  egress: boolean;
  protocol: string;
  ruleAction: 'allow' | 'deny';
  cidrBlock?: string;
  ipv6CidrBlock?: string;
  portRange?: { from: number; to: number };
  icmpTypeCode?: { type: number; code: number };
}

export interface FakeNacl {
  networkAclId: string;
  vpcId: string;
  isDefault: boolean;
  ownerId: string;
  ipv6: boolean;
  entries: FakeEntry[];
}

/** An AWS error as the EC2 Query protocol reports it. */
export class Ec2Fault extends Error {
  override readonly name = 'Ec2Fault';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
export const newNaclId = (): string => `acl-${hex(9).slice(0, 17)}`;
export const NACL_ID = /^acl-[0-9a-f]{8,17}$/;

/** Canonical IPv4/IPv6 CIDR text, or an `InvalidParameterValue` fault. */
export function canonicalCidr(raw: string, family: 4 | 6): string {
  const slash = raw.indexOf('/');
  const addr = slash < 0 ? '' : raw.slice(0, slash);
  const bits = slash < 0 ? '' : raw.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
  const ok = family === 4 ? isIPv4(addr) : isIPv6(addr) && !addr.includes('%');
  if (!ok || prefix < 0 || prefix > max) {
    throw new Ec2Fault('InvalidParameterValue', `Value (${raw}) for parameter cidrBlock is invalid.`);
  }
  if (family === 4) {
    const n = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const masked = prefix === 0 ? 0 : n - (n % 2 ** (32 - prefix));
    const octets = [24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256);
    return `${octets.join('.')}/${prefix}`;
  }
  // WHATWG URL serialises IPv6 hosts in RFC 5952 form; expand it, mask per hextet, serialise again.
  const groups = expandV6(new URL(`http://[${addr}]/`).hostname.slice(1, -1));
  const masked = groups.map((g, i) => {
    const keep = Math.max(0, Math.min(16, prefix - i * 16));
    return keep === 0 ? 0 : g & (0xffff << (16 - keep)) & 0xffff;
  });
  const text = masked.map((g) => g.toString(16)).join(':');
  return `${new URL(`http://[${text}]/`).hostname.slice(1, -1)}/${prefix}`;
}

function expandV6(text: string): number[] {
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g, 16));
}

/** Creates a NACL the way AWS does: the default one allows everything at 100 (and 101 for IPv6). */
export function makeNacl(opts: {
  networkAclId?: string;
  vpcId?: string;
  isDefault?: boolean;
  ipv6?: boolean;
  ownerId?: string;
}): FakeNacl {
  const isDefault = opts.isDefault ?? true;
  const ipv6 = opts.ipv6 ?? false;
  const entries: FakeEntry[] = [];
  for (const egress of [false, true]) {
    if (isDefault) {
      entries.push({ ruleNumber: 100, egress, protocol: '-1', ruleAction: 'allow', cidrBlock: '0.0.0.0/0' });
      if (ipv6) {
        entries.push({ ruleNumber: 101, egress, protocol: '-1', ruleAction: 'allow', ipv6CidrBlock: '::/0' });
      }
    }
    entries.push({
      ruleNumber: DEFAULT_DENY_V4,
      egress,
      protocol: '-1',
      ruleAction: 'deny',
      cidrBlock: '0.0.0.0/0',
    });
    if (ipv6) {
      entries.push({
        ruleNumber: DEFAULT_DENY_V6,
        egress,
        protocol: '-1',
        ruleAction: 'deny',
        ipv6CidrBlock: '::/0',
      });
    }
  }
  return {
    networkAclId: opts.networkAclId ?? newNaclId(),
    vpcId: opts.vpcId ?? `vpc-${hex(9).slice(0, 17)}`,
    isDefault,
    ownerId: opts.ownerId ?? '123456789012',
    ipv6,
    entries,
  };
}

const isStar = (e: FakeEntry) => e.ruleNumber > MAX_USER_RULE;

/** The NACL table with AWS's validation; `quota` is the per-direction, per-family entry limit. */
export class NaclStore {
  readonly nacls = new Map<string, FakeNacl>();
  /**
   * EC2 is eventually consistent (aws-nacl.md §2.8): an entry created less than
   * this long ago is not yet shown by DescribeNetworkAcls. 0 (default) = read-your-writes.
   */
  readLagMs = 0;
  private readonly createdAt = new WeakMap<FakeEntry, number>();
  constructor(public quota = 20) {}

  /** Entries as DescribeNetworkAcls shows them now (sorted, recent creates hidden during the lag). */
  visible(nacl: FakeNacl): FakeEntry[] {
    const now = Date.now();
    return this.sorted(nacl).filter((e) => (this.createdAt.get(e) ?? 0) + this.readLagMs <= now);
  }

  add(nacl: FakeNacl): FakeNacl {
    this.nacls.set(nacl.networkAclId, nacl);
    return nacl;
  }

  get(id: string | undefined): FakeNacl {
    if (!id) throw new Ec2Fault('MissingParameter', 'The request must contain the parameter networkAclId');
    if (!NACL_ID.test(id)) throw new Ec2Fault('InvalidNetworkAclId.Malformed', `Invalid id: "${id}"`);
    const nacl = this.nacls.get(id);
    if (!nacl) throw new Ec2Fault('InvalidNetworkAclID.NotFound', `The networkAcl ID '${id}' does not exist`);
    return nacl;
  }

  /** Validates an entry as Create/Replace would and returns it with canonical CIDR. */
  normalise(e: FakeEntry): FakeEntry {
    if (!Number.isInteger(e.ruleNumber) || e.ruleNumber < 1 || e.ruleNumber > MAX_USER_RULE) {
      throw new Ec2Fault(
        'InvalidParameterValue',
        `Invalid value '${e.ruleNumber}' for ruleNumber. Must be between 1 and ${MAX_USER_RULE}.`,
      );
    }
    if (e.ruleAction !== 'allow' && e.ruleAction !== 'deny') {
      throw new Ec2Fault('InvalidParameterValue', `Invalid value '${e.ruleAction}' for ruleAction`);
    }
    if (!/^(-1|\d{1,3})$/.test(e.protocol) || Number(e.protocol) > 255) {
      throw new Ec2Fault('InvalidParameterValue', `Invalid value '${e.protocol}' for protocol`);
    }
    if ((e.protocol === '6' || e.protocol === '17') && !e.portRange) {
      throw new Ec2Fault('MissingParameter', 'The request must contain the parameter portRange');
    }
    if ((e.cidrBlock === undefined) === (e.ipv6CidrBlock === undefined)) {
      throw new Ec2Fault(
        e.cidrBlock === undefined ? 'MissingParameter' : 'InvalidParameterCombination',
        'Exactly one of cidrBlock and ipv6CidrBlock must be specified',
      );
    }
    const out: FakeEntry = { ...e };
    if (e.cidrBlock !== undefined) out.cidrBlock = canonicalCidr(e.cidrBlock, 4);
    if (e.ipv6CidrBlock !== undefined) out.ipv6CidrBlock = canonicalCidr(e.ipv6CidrBlock, 6);
    if (e.protocol === '-1' || !['1', '6', '17', '58'].includes(e.protocol)) {
      // AWS drops port and ICMP details when they do not apply to the protocol.
      delete out.portRange;
      delete out.icmpTypeCode;
    }
    return out;
  }

  create(naclId: string | undefined, entry: FakeEntry): void {
    const nacl = this.get(naclId);
    const e = this.normalise(entry);
    if (nacl.entries.some((x) => x.egress === e.egress && x.ruleNumber === e.ruleNumber)) {
      throw new Ec2Fault(
        'NetworkAclEntryAlreadyExists',
        `The network acl entry identified by ${e.ruleNumber} already exists.`,
      );
    }
    const v6 = e.ipv6CidrBlock !== undefined;
    const used = nacl.entries.filter(
      (x) => !isStar(x) && x.egress === e.egress && (x.ipv6CidrBlock !== undefined) === v6,
    ).length;
    if (used >= this.quota) {
      throw new Ec2Fault(
        'NetworkAclEntryLimitExceeded',
        `The maximum number of network acl entries has been reached (${this.quota}).`,
      );
    }
    nacl.entries.push(e);
    this.createdAt.set(e, Date.now());
  }

  replace(naclId: string | undefined, entry: FakeEntry): void {
    const nacl = this.get(naclId);
    const e = this.normalise(entry);
    const i = nacl.entries.findIndex((x) => x.egress === e.egress && x.ruleNumber === e.ruleNumber);
    if (i < 0) throw notFoundEntry(e.ruleNumber, e.egress);
    nacl.entries[i] = e;
  }

  delete(naclId: string | undefined, ruleNumber: number, egress: boolean): void {
    const nacl = this.get(naclId);
    if (!Number.isInteger(ruleNumber) || ruleNumber < 1 || ruleNumber > MAX_USER_RULE) {
      throw new Ec2Fault('InvalidParameterValue', `Invalid value '${ruleNumber}' for ruleNumber.`);
    }
    const i = nacl.entries.findIndex((x) => x.egress === egress && x.ruleNumber === ruleNumber);
    if (i < 0) throw notFoundEntry(ruleNumber, egress);
    nacl.entries.splice(i, 1);
  }

  /** Entries sorted the way the console shows them: direction, then number. */
  sorted(nacl: FakeNacl): FakeEntry[] {
    return [...nacl.entries].sort(
      (a, b) => Number(a.egress) - Number(b.egress) || a.ruleNumber - b.ruleNumber,
    );
  }

  /** JSON-safe deep copy of everything, for `GET /_state` and assertions. */
  toJSON(): { quota: number; networkAcls: FakeNacl[] } {
    const networkAcls = [...this.nacls.values()].map((n) => ({
      ...n,
      entries: this.sorted(n).map((e) => structuredClone(e)),
    }));
    return { quota: this.quota, networkAcls };
  }
}

function notFoundEntry(ruleNumber: number, egress: boolean): Ec2Fault {
  return new Ec2Fault(
    'InvalidNetworkAclEntry.NotFound',
    `The network acl entry identified by ${ruleNumber} (${egress ? 'egress' : 'ingress'}) does not exist.`,
  );
}
