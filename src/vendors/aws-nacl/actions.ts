/**
 * Relay verbs on top of the blocker: many CIDRs × many NACLs with one
 * DescribeNetworkAcls for the lot, `/respond/observables` (offer Deny or
 * Remove deny according to what the NACL holds now), `/respond/trigger`
 * (re-check, then act; idempotent) and health.
 *
 * Element ids are `<naclId>/<canonical cidr>`: enough for unblock to know
 * exactly what to remove without searching, and stable across text forms.
 */
import type { RequestContext } from '../../relay/context.js';
import type { RespondAction } from '../../relay/ctim.js';
import { invalidArgument, RelayError, warning } from '../../relay/errors.js';
import type { Observable } from '../../relay/observables.js';
import type { Outcome, TriggerRequest, TriggerResult } from '../types.js';
import type { ProtectedHost } from '../var/guard.js';
import { bandFull, type Change, deniedDirections, denyCidr, freeSlots, undenyCidr } from './blocker.js';
import { blockableCidr, type Cidr, overlaps, parseCidr } from './cidr.js';
import { naclApi } from './client.js';
import type { NaclConfig } from './config.js';

export const AWS_NACL_CLIENT_NAME = 'AWS NACL Client';
export const DENY_ACTION = 'aws_nacl-deny-ip';
export const REMOVE_DENY_ACTION = 'aws_nacl-remove-deny-ip';
export const SUPPORTED_TYPES: ReadonlySet<string> = new Set(['ip', 'ipv6']);

export const elementId = (naclId: string, cidr: Cidr): string => `${naclId}/${cidr.text}`;

/** Splits `<naclId>/<cidr>`; undefined when the id is not one of ours. */
export function parseElementId(id: string): { naclId: string; cidr: Cidr } | undefined {
  const slash = id.indexOf('/');
  const cidr = slash > 0 ? parseCidr(id.slice(slash + 1)) : undefined;
  return cidr ? { naclId: id.slice(0, slash), cidr } : undefined;
}

export interface BulkResult {
  /** Ids acted on or already in the asked state; empty in dry-run (nothing to remember). */
  readonly ids: string[];
  readonly changes: Change[];
  readonly errors: RelayError[];
  /** Inputs refused for good before any call (protected, no-block, invalid): never retried. */
  readonly refused: RelayError[];
  /** Targets that ended in the asked state (counts dry-run targets too). */
  succeeded: number;
}

type Target = { naclId: string; cidr: Cidr };

/** Runs `op` for every target with one describe for all NACLs; per-target failures are collected. */
async function bulk(
  cfg: NaclConfig,
  targets: readonly Target[],
  ctx: RequestContext,
  op: typeof denyCidr,
): Promise<BulkResult> {
  const result: BulkResult = { ids: [], changes: [], errors: [], refused: [], succeeded: 0 };
  if (targets.length === 0) return result;
  const api = naclApi(cfg);
  const views = await api.describe([...new Set(targets.map((t) => t.naclId))], ctx.signal);
  // Concurrency is bounded where the calls are made (client.ts), whatever the fan-out here.
  const settled = await Promise.allSettled(
    targets.map((t) => op(api, cfg, t.naclId, t.cidr, { signal: ctx.signal, view: views.get(t.naclId) })),
  );
  settled.forEach((s, i) => {
    const t = targets[i] as Target;
    if (s.status === 'fulfilled') {
      result.succeeded += 1;
      result.changes.push(...s.value);
      if (!cfg.dryRun) result.ids.push(elementId(t.naclId, t.cidr));
    } else {
      result.errors.push(
        s.reason instanceof RelayError ? s.reason : new RelayError('unknown', 'NACL update failed.'),
      );
    }
  });
  logChanges(ctx, result.changes);
  return result;
}

/** Denies each address/CIDR in every configured NACL. Invalid or protected inputs become errors. */
export async function blockAll(
  cfg: NaclConfig,
  inputs: readonly string[],
  ctx: RequestContext,
): Promise<BulkResult> {
  const refused: RelayError[] = [];
  const cidrs: Cidr[] = [];
  const guard = await protectedHosts(ctx);
  if (guard.error !== undefined) throw guard.error;
  for (const input of new Set(inputs)) {
    try {
      const c = blockableCidr(input, cfg.policy);
      const shielded = guard.hosts.find((h) => covers(c, h.ip));
      if (shielded) {
        throw invalidArgument(
          `${input} belongs to host ${shielded.name} in the no-block group "${shielded.group}".`,
        );
      }
      if (!cidrs.some((x) => x.text === c.text)) cidrs.push(c);
    } catch (err) {
      refused.push(err instanceof RelayError ? err : invalidArgument(`${input} cannot be denied.`));
    }
  }
  const targets = cfg.naclIds.flatMap((naclId) => cidrs.map((cidr) => ({ naclId, cidr })));
  return { ...(await bulk(cfg, targets, ctx, denyCidr)), refused };
}

/** Removes owned denies for each address/CIDR in every configured NACL. */
export async function unblockAll(
  cfg: NaclConfig,
  inputs: readonly string[],
  ctx: RequestContext,
): Promise<BulkResult> {
  const cidrs = [...new Set(inputs)].map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const targets = cfg.naclIds.flatMap((naclId) => cidrs.map((cidr) => ({ naclId, cidr })));
  return bulk(cfg, targets, ctx, undenyCidr);
}

/** Removes exactly the elements named by ids from an earlier block; ids for other NACLs are skipped. */
export async function unblockIds(
  cfg: NaclConfig,
  ids: readonly string[],
  ctx: RequestContext,
): Promise<BulkResult> {
  const targets: Target[] = [];
  for (const id of new Set(ids)) {
    const t = parseElementId(id);
    // Only NACLs this token configures may be touched, whatever a tag says.
    if (t && cfg.naclIds.includes(t.naclId)) targets.push(t);
    else ctx.log.warn({ message: 'Skipping an AWS NACL element id this token does not cover', id });
  }
  return bulk(cfg, targets, ctx, undenyCidr);
}

/**
 * The ids a block client answers. A block must be complete to be recorded: if
 * any NACL write failed, the call fails and the next one completes it (the
 * written denies are found again, so nothing is doubled). Inputs refused for
 * good (protected, no-block, invalid) are only logged, or a detection with one
 * protected destination could never be blocked. A dry run is refused loudly:
 * an empty answer would read as "nothing to block".
 */
export function blockIdsOrThrow(r: BulkResult, ctx: RequestContext, cfg: NaclConfig): string[] {
  const [first] = r.errors;
  if (first) {
    const total = r.succeeded + r.errors.length;
    throw new RelayError(
      first.code,
      `${first.message} (${r.succeeded} of ${total} NACL updates done; run it again to complete)`,
      { cause: first },
    );
  }
  for (const e of r.refused)
    ctx.log.warn({ message: 'AWS NACL input refused', code: e.code, detail: e.message });
  if (cfg.dryRun) {
    const would = r.changes.map(describeChange).join('; ') || 'no change';
    throw invalidArgument(`aws_nacl_dry_run is on: ${would}. Nothing was changed or recorded.`);
  }
  const [refused] = r.refused;
  if (r.ids.length === 0 && refused) throw refused;
  return r.ids;
}

/** Ids released; partial is fine: the ids not answered keep their tags and are retried next time. */
export function unblockIdsOrThrow(r: BulkResult, ctx: RequestContext): string[] {
  const [first] = r.errors;
  if (first && r.succeeded === 0) throw first;
  for (const e of r.errors)
    ctx.log.warn({ message: 'AWS NACL partial failure', code: e.code, detail: e.message });
  return r.ids;
}

export async function health(cfg: NaclConfig, ctx: RequestContext): Promise<void> {
  const views = await naclApi(cfg).describe(cfg.naclIds, ctx.signal);
  for (const id of cfg.naclIds) {
    const view = views.get(id);
    if (!view) throw new RelayError('not found', `Network ACL ${id} was not found in ${cfg.region}.`);
    for (const d of cfg.directions)
      if (freeSlots(view, cfg.band, d === 'egress') === 0) throw bandFull(id, cfg.band, d);
  }
}

export async function respond(
  cfg: NaclConfig,
  observables: readonly Observable[],
  ctx: RequestContext,
): Promise<Outcome<RespondAction[]>> {
  const wanted = observables
    .filter((o) => SUPPORTED_TYPES.has(o.type))
    .map((o) => ({ o, cidr: parseCidr(o.value) }))
    .filter(
      (x): x is { o: Observable; cidr: Cidr } => x.cidr !== undefined && familyMatches(x.o.type, x.cidr),
    );
  if (wanted.length === 0) return { data: [], errors: [] };
  const [views, guard] = await Promise.all([
    naclApi(cfg).describe(cfg.naclIds, ctx.signal),
    protectedHosts(ctx),
  ]);
  const data: RespondAction[] = [];
  const errors: unknown[] = guard.error === undefined ? [] : [guard.error];
  for (const { o, cidr } of wanted) {
    const shielded = guard.error !== undefined ? undefined : guard.hosts.find((h) => covers(cidr, h.ip));
    if (shielded) {
      errors.push(
        warning(
          'no-block-group',
          `${o.value} belongs to host ${shielded.name} in the no-block group "${shielded.group}": no deny is offered.`,
        ),
      );
    }
    const mayDeny = guard.error === undefined && !shielded;
    for (const naclId of cfg.naclIds) {
      const view = views.get(naclId) ?? { id: naclId, entries: [] };
      const denied = deniedDirections(view, cfg, cidr);
      const params = { observable_type: o.type, observable_value: o.value, nacl_id: naclId };
      if (denied.size > 0) data.push(removeAction(o.value, naclId, params));
      // Partly denied (e.g. an ingress write failed earlier): offer to complete it as well.
      if (mayDeny && cfg.directions.some((d) => !denied.has(d)) && blockable(cidr, cfg)) {
        data.push(denyAction(o.value, naclId, cfg, params));
      }
    }
  }
  return { data, errors };
}

type Guard = { hosts: ProtectedHost[]; error?: unknown };
/** One no-block lookup per request (an engine run blocks many objects with one context). */
const guards = new WeakMap<RequestContext, Promise<Guard>>();

/** The no-block interlock (`../var/guard.ts`), loaded only when Vectra is configured; errors fail closed. */
function protectedHosts(ctx: RequestContext): Promise<Guard> {
  if (!ctx.claims.vectra_url) return Promise.resolve({ hosts: [] });
  let guard = guards.get(ctx);
  if (!guard) {
    guard = import('../var/guard.js')
      .then((m) => m.noBlockHosts(ctx))
      .then(
        (hosts) => ({ hosts }),
        (error: unknown) => ({ hosts: [], error }),
      );
    guards.set(ctx, guard);
  }
  return guard;
}

const covers = (c: Cidr, ip: string): boolean => {
  const host = parseCidr(ip);
  return host !== undefined && overlaps(c, host);
};

export async function trigger(
  cfg: NaclConfig,
  req: TriggerRequest,
  ctx: RequestContext,
): Promise<TriggerResult> {
  if (req.actionId !== DENY_ACTION && req.actionId !== REMOVE_DENY_ACTION) {
    throw invalidArgument('Unsupported action.');
  }
  const naclId = req.params.nacl_id;
  if (!naclId || !cfg.naclIds.includes(naclId)) {
    throw invalidArgument('nacl_id must be one of the network ACLs configured in aws_nacl_ids.');
  }
  const { type, value } = req.observable;
  if (!SUPPORTED_TYPES.has(type))
    throw new RelayError('unsupported type', `Unsupported observable type ${type}`);
  const api = naclApi(cfg);
  const opts = { signal: ctx.signal };
  let changes: Change[];
  let cidr: Cidr;
  if (req.actionId === DENY_ACTION) {
    cidr = blockableCidr(value, cfg.policy);
    if (!familyMatches(type, cidr)) throw invalidArgument(`${value} is not an ${type} value.`);
    const guard = await protectedHosts(ctx);
    if (guard.error !== undefined) throw guard.error;
    const shielded = guard.hosts.find((h) => covers(cidr, h.ip));
    if (shielded) {
      throw invalidArgument(
        `${value} belongs to host ${shielded.name} in the no-block group "${shielded.group}" and is never denied.`,
      );
    }
    changes = await denyCidr(api, cfg, naclId, cidr, opts);
  } else {
    const parsed = parseCidr(value);
    if (!parsed)
      throw invalidArgument(`Not an IPv4 or IPv6 address or CIDR: ${JSON.stringify(value.slice(0, 80))}`);
    cidr = parsed;
    changes = await undenyCidr(api, cfg, naclId, cidr, opts);
  }
  logChanges(ctx, changes);
  if (cfg.dryRun)
    return { elements: changes.map(describeChange), client: AWS_NACL_CLIENT_NAME, unchanged: true };
  return {
    elements: [elementId(naclId, cidr)],
    client: AWS_NACL_CLIENT_NAME,
    ...(changes.length === 0 ? { unchanged: true } : {}),
  };
}

const familyMatches = (type: string, c: Cidr): boolean => (type === 'ipv6' ? c.family === 6 : c.family === 4);

function blockable(c: Cidr, cfg: NaclConfig): boolean {
  try {
    blockableCidr(c.text, cfg.policy);
    return true;
  } catch {
    return false;
  }
}

const denyAction = (
  ip: string,
  naclId: string,
  cfg: NaclConfig,
  params: Record<string, string>,
): RespondAction => ({
  id: DENY_ACTION,
  title: `Deny ${ip} at network ACL ${naclId}`,
  description: `Add a deny rule (${cfg.directions.join(' and ')}) for ${ip} to AWS network ACL ${naclId} in ${cfg.region}`,
  categories: ['AWS Network ACL', 'Block'],
  'query-params': params,
});

const removeAction = (ip: string, naclId: string, params: Record<string, string>): RespondAction => ({
  id: REMOVE_DENY_ACTION,
  title: `Remove deny of ${ip} at network ACL ${naclId}`,
  description: `Remove the relay's deny rules for ${ip} from AWS network ACL ${naclId}`,
  categories: ['AWS Network ACL', 'Unblock'],
  'query-params': params,
});

export const describeChange = (c: Change): string =>
  `${c.dryRun ? 'would ' : ''}${c.op} ${c.direction} deny rule ${c.ruleNumber} for ${c.cidr} in ${c.naclId}`;

function logChanges(ctx: RequestContext, changes: readonly Change[]): void {
  for (const c of changes)
    ctx.log.info({ message: 'AWS NACL change', change: describeChange(c), dryRun: c.dryRun });
}
