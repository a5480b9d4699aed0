/**
 * CTIM sightings from Vectra hosts, accounts and detections, and the severity
 * / confidence mapping documented in this folder's README: v2.5 uses the
 * threat/certainty quadrant (or the brain's own `severity`), v3 the urgency
 * score when the object carries one.
 */

import { type CtimEntity, SCHEMA_VERSION, transientId } from '../../kernel/ctim.js';
import { escapeMarkdown } from '../../kernel/markdown.js';
import type { VectraAccount, VectraHost } from '../../kernel/model.js';
import type { Observable } from '../../kernel/observables.js';
import type { VectraConfig } from './config.js';
import { describeLockdown, type Lockdown } from './lockdown.js';
import { detectionDestinations } from './parse.js';
import { VENDOR } from './product.js';

export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Info';
export type Confidence = 'High' | 'Medium' | 'Low' | 'Unknown';

const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info',
};

/** Vectra quadrant: threat and certainty ≥ 50 Critical, threat only High, certainty only Medium. */
export function quadrantSeverity(threat: number, certainty: number): Severity {
  if (threat >= 50 && certainty >= 50) return 'Critical';
  if (threat >= 50) return 'High';
  if (certainty >= 50) return 'Medium';
  return threat > 0 || certainty > 0 ? 'Low' : 'Info';
}

/** v3 urgency bands: ≥ 80 Critical, ≥ 50 High, ≥ 30 Medium, > 0 Low, else Info. */
export function urgencySeverity(urgency: number): Severity {
  if (urgency >= 80) return 'Critical';
  if (urgency >= 50) return 'High';
  if (urgency >= 30) return 'Medium';
  return urgency > 0 ? 'Low' : 'Info';
}

export function severityOf(
  o: { threat: number; certainty: number; urgency?: number | null; severity?: string | null },
  cfg: Pick<VectraConfig, 'apiVersion'>,
): Severity {
  if (cfg.apiVersion === 'v3' && typeof o.urgency === 'number') return urgencySeverity(o.urgency);
  const word = o.severity ? SEVERITY_WORDS[o.severity.toLowerCase()] : undefined;
  return word ?? quadrantSeverity(o.threat, o.certainty);
}

/** Certainty ≥ 80 High, ≥ 50 Medium, > 0 Low, else Unknown. */
export function confidenceOf(certainty: number): Confidence {
  if (certainty >= 80) return 'High';
  if (certainty >= 50) return 'Medium';
  return certainty > 0 ? 'Low' : 'Unknown';
}

const iso = (s: string | null | undefined, fallback: string): string => {
  const t = s ? Date.parse(s) : Number.NaN;
  return Number.isNaN(t) ? fallback : new Date(t).toISOString();
};

const base = (uri: string, externalId: string, what: string) => ({
  id: transientId('sighting'),
  type: 'sighting',
  schema_version: SCHEMA_VERSION,
  source: VENDOR,
  source_uri: uri,
  internal: true,
  count: 1,
  external_ids: [externalId],
  external_references: [{ source_name: VENDOR, url: uri, description: what, external_id: externalId }],
});

/** The endpoint target of a host: its IP, name and MAC addresses. */
export function hostTarget(
  host: { ip: string | null; name: string; macAddresses?: readonly string[] },
  time: string,
) {
  const observables: Observable[] = [];
  if (host.ip) observables.push({ type: host.ip.includes(':') ? 'ipv6' : 'ip', value: host.ip });
  if (host.name) observables.push({ type: 'hostname', value: host.name });
  for (const mac of host.macAddresses ?? []) observables.push({ type: 'mac_address', value: mac });
  return { type: 'endpoint', observables, observed_time: { start_time: time, end_time: time } };
}

export function hostSighting(
  host: VectraHost,
  observable: Observable,
  cfg: VectraConfig,
  lockdown?: Lockdown,
): CtimEntity {
  const time = iso(host.lastDetectionTimestamp ?? host.lastSeen, new Date().toISOString());
  const uri = `${cfg.uiUrl}/hosts/${host.id}`;
  const score =
    cfg.apiVersion === 'v3' && host.urgency !== null
      ? `urgency ${host.urgency}`
      : `threat ${host.threat}, certainty ${host.certainty}`;
  return {
    ...base(uri, `vectra-host-${host.id}`, 'Host in Vectra Detect'),
    title: `Host ${md(host.name || host.ip)} in Vectra Detect`,
    description: `Vectra Detect tracks host ${md(host.name)} (${md(host.ip ?? 'no current IP')}), ${score}, state ${md(host.state ?? 'unknown')}.${lockdown ? ` ${md(describeLockdown(lockdown, host.name))}` : ''}`,
    short_description: `Vectra Detect host ${md(host.name)}`,
    severity: severityOf(host, cfg),
    confidence: confidenceOf(host.certainty),
    observables: [observable],
    observed_time: { start_time: time, end_time: time },
    targets: [hostTarget(host, time)],
  };
}

export function accountSighting(
  account: VectraAccount,
  observable: Observable,
  cfg: VectraConfig,
  lockdown?: Lockdown,
): CtimEntity {
  const time = iso(account.lastDetectionTimestamp, new Date().toISOString());
  const uri = `${cfg.uiUrl}/accounts/${account.id}`;
  return {
    ...base(uri, `vectra-account-${account.id}`, 'Account in Vectra Detect'),
    title: `Account ${md(account.name)} in Vectra Detect`,
    description: `Vectra Detect tracks account ${md(account.name)} (${md(account.accountType ?? 'unknown type')}), threat ${md(account.threat)}, certainty ${md(account.certainty)}${account.privilegeLevel === null ? '' : `, privilege level ${md(account.privilegeLevel)}`}.${lockdown ? ` ${md(describeLockdown(lockdown, account.name))}` : ''}`,
    short_description: `Vectra Detect account ${md(account.name)}`,
    severity: severityOf(account, cfg),
    confidence: confidenceOf(account.certainty),
    observables: [observable],
    observed_time: { start_time: time, end_time: time },
  };
}

type Raw = Record<string, unknown>;
/** Upstream text in a Markdown field (XDR renders titles and descriptions). */
const md = escapeMarkdown;
const MAX_RELATIONS = 20;

/**
 * The source entity of a detection (`src_host`, else `src_account`), whose
 * urgency rates an unscored v3 detection.
 */
export function detectionEntity(raw: unknown): { type: 'host' | 'account'; id: number } | undefined {
  const d = (raw ?? {}) as Raw;
  for (const type of ['host', 'account'] as const) {
    const id = Number((d[`src_${type}`] as Raw | null | undefined)?.id);
    if (Number.isInteger(id) && id > 0) return { type, id };
  }
  return undefined;
}

/**
 * True for a v3 answer that carries no detection score: with the Respond UX
 * "individual detections are no longer scored" (docs.vectra.ai, Understanding
 * Vectra AI detections), but the v3.4 API still serves `threat`/`certainty`
 * (README), so only an answer without them confirms it.
 */
export function isUnscored(raw: unknown, cfg: Pick<VectraConfig, 'apiVersion'>): boolean {
  const d = (raw ?? {}) as Raw;
  const score = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  return cfg.apiVersion === 'v3' && ![d.threat, d.t_score, d.certainty, d.c_score].some(score);
}

/**
 * A detection as a sighting, with `Connected_To` relations from its source IP
 * to its destinations. `entityUrgency` is the urgency of its source entity:
 * an unscored v3 detection takes its severity from it (else `Info`).
 */
export function detectionSighting(
  raw: unknown,
  observable: Observable,
  cfg: VectraConfig,
  entityUrgency?: number | null,
): CtimEntity {
  const d = (raw ?? {}) as Raw;
  const srcHost = (d.src_host ?? {}) as Raw;
  const id = String(d.id ?? '');
  const type = String(d.detection_type ?? d.detection ?? 'Detection');
  const category = String(d.category ?? d.detection_category ?? '');
  const threat = Number(d.threat ?? d.t_score ?? 0) || 0;
  const certainty = Number(d.certainty ?? d.c_score ?? 0) || 0;
  const unscored = isUnscored(raw, cfg);
  const now = new Date().toISOString();
  const start = iso(d.first_timestamp as string | undefined, now);
  const end = iso(d.last_timestamp as string | undefined, start);
  const src = typeof d.src_ip === 'string' && d.src_ip ? d.src_ip : null;
  const dst = detectionDestinations(d);
  const uri = `${cfg.uiUrl}/detections/${id}`;
  const related: Observable[] = [
    ...dst.ips.map((value) => ({ type: value.includes(':') ? 'ipv6' : 'ip', value })),
    ...dst.domains.map((value) => ({ type: 'domain', value })),
  ].slice(0, MAX_RELATIONS);
  const srcType = src?.includes(':') ? 'ipv6' : 'ip';
  const observables = [observable];
  if (src && !(observable.type === srcType && observable.value === src)) {
    observables.push({ type: srcType, value: src });
  }
  const hostName = typeof srcHost.name === 'string' ? srcHost.name : '';
  const targetIp = src ?? (typeof srcHost.ip === 'string' ? srcHost.ip : null);
  return {
    ...base(uri, `vectra-detection-${id}`, 'Detection in Vectra Detect'),
    title: `${md(type)} detected by Vectra Detect`,
    description: `${category ? `${md(category)}: ` : ''}${md(type)} from ${md(src ?? 'unknown source')}${hostName ? ` (${md(hostName)})` : ''}${related.length ? ` to ${related.map((r) => md(r.value)).join(', ')}` : ''}, ${unscored ? `not scored (entity urgency ${entityUrgency ?? 'unknown'})` : `threat ${threat}, certainty ${certainty}`}, state ${md(d.state ?? 'unknown')}.`,
    short_description: `${md(type)} (${md(category || 'detection')})`,
    severity: unscored
      ? typeof entityUrgency === 'number'
        ? urgencySeverity(entityUrgency)
        : 'Info'
      : quadrantSeverity(threat, certainty),
    confidence: confidenceOf(certainty),
    observables,
    observed_time: { start_time: start, end_time: end },
    ...(targetIp || hostName ? { targets: [hostTarget({ ip: targetIp, name: hostName }, end)] } : {}),
    ...(src && related.length
      ? {
          relations: related.map((r) => ({
            origin: VENDOR,
            origin_uri: uri,
            relation: 'Connected_To',
            source: { type: srcType, value: src },
            related: r,
          })),
        }
      : {}),
  };
}
