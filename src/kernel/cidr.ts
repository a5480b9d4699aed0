/**
 * IP/CIDR parsing, canonicalisation and overlap for the NACL blocker.
 *
 * AWS stores CIDRs canonically (198.51.100.77/24 → 198.51.100.0/24; IPv6 in
 * RFC 5952 form), so every comparison here is between canonical forms, never
 * between the strings a user typed — the Threat Stack bot's string compare
 * missed existing rules and matched allows as if they were blocks.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { invalidArgument } from './errors.js';

export type Family = 4 | 6;

export interface Cidr {
  readonly family: Family;
  /** Network address with host bits cleared. */
  readonly network: bigint;
  readonly prefix: number;
  /** Canonical text as AWS stores it, e.g. `198.51.100.0/24`, `2001:db8::/64`. */
  readonly text: string;
}

const bitsOf = (f: Family): number => (f === 4 ? 32 : 128);

/** Parses an address (host route) or `address/prefix`; undefined when not valid. */
export function parseCidr(input: string): Cidr | undefined {
  const raw = input.trim();
  const slash = raw.indexOf('/');
  const addr = slash < 0 ? raw : raw.slice(0, slash);
  const family: Family | undefined = isIPv4(addr) ? 4 : isIPv6(addr) && !addr.includes('%') ? 6 : undefined;
  if (family === undefined) return undefined;
  // Leading zeros are ambiguous (octal in some parsers), so refuse rather than guess.
  if (family === 4 && addr.split('.').some((o) => o.length > 1 && o.startsWith('0'))) return undefined;
  const max = bitsOf(family);
  let prefix = max;
  if (slash >= 0) {
    const p = raw.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  const value = family === 4 ? v4ToBig(addr) : v6ToBig(addr);
  const network = value & mask(family, prefix);
  return { family, network, prefix, text: `${format(family, network)}/${prefix}` };
}

/** Canonical CIDR text or an `invalid argument` error naming the input. */
export function canonicalCidr(input: string): string {
  const c = parseCidr(input);
  if (!c) throw invalidArgument(`Not an IPv4 or IPv6 address or CIDR: ${JSON.stringify(input.slice(0, 80))}`);
  return c.text;
}

/** True when the two ranges share at least one address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, shorter);
  return (a.network & m) === (b.network & m);
}

export interface BlockPolicy {
  readonly minPrefixV4: number;
  readonly minPrefixV6: number;
  readonly protectedCidrs: readonly Cidr[];
}

/**
 * Why this CIDR must not be denied, or undefined when it may be. Refuses the
 * whole address space whatever the minimum prefix, anything wider than the
 * configured minimum, and anything overlapping a protected range (a /16 deny
 * that contains a protected /32 would still cut it off).
 */
export function refusal(c: Cidr, policy: BlockPolicy): string | undefined {
  if (c.prefix === 0) return `Refusing to deny ${c.text}: it is the whole address space.`;
  const min = c.family === 4 ? policy.minPrefixV4 : policy.minPrefixV6;
  if (c.prefix < min) return `Refusing to deny ${c.text}: prefixes shorter than /${min} are not allowed.`;
  const special = specialRange(c);
  if (special) return `Refusing to deny ${c.text}: it overlaps the special-purpose range ${special}.`;
  const hit = policy.protectedCidrs.find((p) => overlaps(p, c));
  if (hit) return `Refusing to deny ${c.text}: it overlaps the protected range ${hit.text}.`;
  // The same IPv4 address written inside IPv6 (mapped, NAT64, 6to4) is the same host.
  const v4 = embeddedV4(c);
  if (v4 === 'all') return `Refusing to deny ${c.text}: it covers every IPv4 address embedded in IPv6.`;
  if (v4) {
    const inner = specialRange(v4) ?? policy.protectedCidrs.find((p) => overlaps(p, v4))?.text;
    if (inner) return `Refusing to deny ${c.text}: it embeds ${v4.text}, which overlaps ${inner}.`;
  }
  return undefined;
}

/**
 * Addresses a NACL deny must never name (RFC 6890 special purposes that
 * carry the host's own plumbing): "this network", loopback, link-local
 * (the VPC's DNS, metadata and time services live at 169.254.169.253/254/123),
 * multicast, reserved and broadcast; in IPv6 the unspecified and loopback
 * addresses, link-local and multicast. Private, shared (100.64/10) and
 * documentation ranges stay blockable: internal hosts are what VAR blocks.
 */
const SPECIAL: readonly [string, string][] = [
  ['0.0.0.0/8', 'this network'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['255.255.255.255/32', 'broadcast'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];
const SPECIAL_CIDRS = SPECIAL.map(([text, name]) => ({ cidr: parseCidr(text) as Cidr, name }));

/** `range (name)` of the first special-purpose range `c` overlaps, or undefined. */
export function specialRange(c: Cidr): string | undefined {
  const hit = SPECIAL_CIDRS.find((s) => overlaps(s.cidr, c));
  return hit ? `${hit.cidr.text} (${hit.name})` : undefined;
}

/** IPv6 ranges that carry an IPv4 address, and the bit offset where it starts. */
const EMBEDDINGS = [
  { cidr: parseCidr('::ffff:0:0/96') as Cidr, at: 96 }, // IPv4-mapped
  { cidr: parseCidr('64:ff9b::/96') as Cidr, at: 96 }, // NAT64 well-known prefix
  { cidr: parseCidr('2002::/16') as Cidr, at: 16 }, // 6to4
];

/**
 * The IPv4 range an IPv6 CIDR embeds: undefined when it embeds none, `'all'`
 * when it spans a whole embedding prefix (so every IPv4 address).
 */
export function embeddedV4(c: Cidr): Cidr | 'all' | undefined {
  if (c.family !== 6) return undefined;
  for (const e of EMBEDDINGS) {
    if (!overlaps(e.cidr, c)) continue;
    if (c.prefix <= e.cidr.prefix) return 'all';
    const prefix = Math.min(32, c.prefix - e.at);
    if (prefix <= 0) return 'all';
    const network = (c.network >> BigInt(128 - e.at - 32)) & 0xffffffffn & mask(4, prefix);
    return { family: 4, network, prefix, text: `${format(4, network)}/${prefix}` };
  }
  return undefined;
}

/** Parses and checks an input in one go; throws `invalid argument` with the reason. */
export function blockableCidr(input: string, policy: BlockPolicy): Cidr {
  const c = parseCidr(input);
  if (!c) throw invalidArgument(`Not an IPv4 or IPv6 address or CIDR: ${JSON.stringify(input.slice(0, 80))}`);
  const why = refusal(c, policy);
  if (why) throw invalidArgument(why);
  return c;
}

function mask(f: Family, prefix: number): bigint {
  const bits = BigInt(bitsOf(f));
  const all = (1n << bits) - 1n;
  return prefix === 0 ? 0n : (all << (bits - BigInt(prefix))) & all;
}

function v4ToBig(addr: string): bigint {
  return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function v6ToBig(addr: string): bigint {
  let text = addr.toLowerCase();
  // An embedded dotted quad (::ffff:192.0.2.1) becomes two hextets.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v = v4ToBig(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function format(f: Family, n: bigint): string {
  if (f === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on a tie.
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}
