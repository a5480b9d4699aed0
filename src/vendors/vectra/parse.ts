/**
 * Builds the model objects (`VectraHost`, `VectraAccount`, `VectraDetection`)
 * from Vectra API JSON, as vectra.md §1.2 describes VAR's data classes, with
 * the VAR state parsed from tags. Defensive: API JSON is untrusted, missing
 * fields get neutral values instead of exceptions. The unblock tag excluded
 * from external tags comes from configuration (VAR hard-codes the default).
 */
import { isIP } from 'node:net';
import type { HostArtifact, VectraAccount, VectraDetection, VectraHost } from '../../kernel/model.js';
import {
  ACCOUNT_BLOCKED_MARKER,
  blockedElementsOf,
  DETECTION_BLOCKED_MARKER,
  HOST_BLOCKED_MARKER,
  isVarStateTag,
  pendingElementsOf,
} from '../../var/state.js';

export interface ParseOptions {
  /** The configured unblock tag for this kind; excluded from external tags. */
  readonly unblockTag: string;
}

type Raw = Record<string, unknown>;

const obj = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || 0);
const numOrNull = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v))
      ? Number(v)
      : null;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strs = (v: unknown): string[] => arr(v).filter((x): x is string => typeof x === 'string' && x !== '');
const bool = (v: unknown): boolean => v === true || v === 'true' || v === 'True';

/** Trailing numeric id of a detection URL (`…/detections/123`), or a plain number. */
function idOf(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const m = /(\d+)\/?$/.exec(v);
    return m ? Number(m[1]) : null;
  }
  return numOrNull(obj(v).id);
}

interface TagParts {
  allTags: string[];
  tags: string[];
  blockedElements: VectraHost['blockedElements'];
  pendingElements: VectraHost['pendingElements'];
  clientRestrictions: string[];
}

/** Splits tags into VAR state and external tags; reads `client:<module>` restrictions. */
export function splitTags(raw: unknown, marker: string, unblockTag: string): TagParts {
  const allTags = strs(raw);
  const tags = allTags.filter((t) => !isVarStateTag(t) && t !== marker && t !== unblockTag);
  const clientRestrictions = [
    ...new Set(
      allTags
        .filter((t) => /^client:/i.test(t))
        .map((t) => t.slice('client:'.length).trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  return {
    allTags,
    tags,
    blockedElements: blockedElementsOf(allTags),
    pendingElements: pendingElementsOf(allTags),
    clientRestrictions,
  };
}

export function parseHost(raw: unknown, opts: ParseOptions): VectraHost {
  const h = obj(raw);
  const artifacts: HostArtifact[] = arr(h.host_artifact_set)
    .map(obj)
    .filter((a) => typeof a.type === 'string' && typeof a.value === 'string')
    .map((a) => ({ type: a.type as string, value: a.value as string }));
  const artifact = (type: string) => artifacts.find((a) => a.type === type && a.value)?.value;
  const name = str(h.name) ?? '';
  const ldapDns = strs(obj(h.ldap).dns_hostname)[0];
  return {
    kind: 'host',
    id: num(h.id),
    ...splitTags(h.tags, HOST_BLOCKED_MARKER, opts.unblockTag),
    name,
    ip: str(h.last_source) ?? str(h.ip),
    previousIps: strs(h.previous_ips),
    probableOwner: str(h.probable_owner),
    threat: num(h.threat ?? h.t_score),
    certainty: num(h.certainty ?? h.c_score),
    urgency: numOrNull(h.urgency_score),
    severity: str(h.severity),
    state: str(h.state),
    isKeyAsset: bool(h.key_asset ?? h.is_key_asset),
    macAddresses: artifacts.filter((a) => a.type === 'mac').map((a) => a.value),
    artifacts,
    groups: arr(h.groups)
      .map(obj)
      .map((g) => ({ id: num(g.id), name: str(g.name) ?? '' })),
    lastSeen: str(h.last_seen),
    lastDetectionTimestamp: str(h.last_detection_timestamp),
    fullName: artifact('windows_defender_name') ?? artifact('dns') ?? artifact('rdns') ?? ldapDns ?? name,
    detectionIds: arr(h.detection_set)
      .map(idOf)
      .filter((x): x is number => x !== null),
  };
}

export function parseAccount(raw: unknown, opts: ParseOptions): VectraAccount {
  const a = obj(raw);
  const name = str(a.name) ?? '';
  const displayName = str(a.display_name) ?? name;
  const colon = displayName.indexOf(':');
  const tagParts = splitTags(a.tags, ACCOUNT_BLOCKED_MARKER, opts.unblockTag);
  const context = tagParts.allTags.find((t) => t.startsWith('Context:'));
  return {
    kind: 'account',
    id: num(a.id),
    ...tagParts,
    name,
    displayName,
    accountType: str(a.account_type),
    threat: num(a.threat),
    certainty: num(a.certainty),
    urgency: numOrNull(a.urgency_score),
    severity: str(a.severity),
    state: str(a.state),
    privilegeLevel: numOrNull(a.privilege_level),
    privilegeCategory: str(a.privilege_category),
    lastDetectionTimestamp: str(a.last_detection_timestamp),
    normalizedName: colon >= 0 ? displayName.slice(colon + 1) : displayName,
    context: context ? context.slice('Context:'.length) : null,
    detectionIds: arr(a.detection_set)
      .map(idOf)
      .filter((x): x is number => x !== null),
  };
}

/** IPv4/IPv6 outside private, loopback, link-local and CGNAT ranges. */
export function isPublicIp(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const [a = 0, b = 0] = ip.split('.').map(Number);
    return !(
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  if (v === 6) {
    const l = ip.toLowerCase();
    return !(l === '::1' || l === '::' || /^f[cd]/.test(l) || /^fe[89ab]/.test(l) || /^ff/.test(l));
  }
  return false;
}

/** Every destination IP and domain of a detection: summary plus grouped details. */
export function detectionDestinations(raw: unknown): { ips: string[]; domains: string[] } {
  const d = obj(raw);
  const summary = obj(d.summary);
  const ips = new Set(strs(summary.dst_ips));
  const domains = new Set(strs(summary.target_domains));
  for (const g of arr(d.grouped_details).map(obj)) {
    for (const ip of strs(g.dst_ips)) ips.add(ip);
    for (const dom of strs(g.target_domains)) domains.add(dom);
    for (const h of arr(g.dst_hosts).map(obj)) {
      const ip = str(h.ip);
      if (ip) ips.add(ip);
      const name = str(h.name);
      if (name) domains.add(name);
    }
  }
  return { ips: [...ips], domains: [...domains] };
}

export function parseDetection(
  raw: unknown,
  opts: ParseOptions = { unblockTag: 'vectra_detection_unblock' },
): VectraDetection {
  const d = obj(raw);
  const srcHost = obj(d.src_host);
  const srcAccount = obj(d.src_account);
  const summary = obj(d.summary);
  return {
    kind: 'detection',
    id: num(d.id),
    ...splitTags(d.tags, DETECTION_BLOCKED_MARKER, opts.unblockTag),
    hostId: numOrNull(srcHost.id),
    accountId: numOrNull(srcAccount.id),
    category: str(d.category) ?? str(d.detection_category) ?? '',
    detectionType: str(d.detection_type) ?? str(d.detection) ?? '',
    src: str(d.src_ip),
    dstIps: strs(summary.dst_ips).filter((ip) => isIP(ip) !== 0 && isPublicIp(ip)),
    dstDomains: strs(summary.target_domains),
    state: str(d.state) ?? '',
    threat: num(d.threat ?? d.t_score),
    certainty: num(d.certainty ?? d.c_score),
    isTriaged: bool(d.is_triaged),
    firstTimestamp: str(d.first_timestamp),
    lastTimestamp: str(d.last_timestamp),
    srcHostName: str(srcHost.name),
    srcAccountName: str(srcAccount.name),
  };
}
