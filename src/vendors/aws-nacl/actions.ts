/**
 * Relay verbs on top of the blocker: `/respond/observables` (offer Deny or
 * Remove deny according to what the NACL holds now), `/respond/trigger`
 * (re-check, then act; idempotent) and health.
 */

import { cachesOf } from '../../kernel/caches.js';
import { blockableCidr, type Cidr, overlaps, parseCidr } from '../../kernel/cidr.js';
import type { RequestContext } from '../../kernel/context.js';
import type { RespondAction } from '../../kernel/ctim.js';
import { invalidArgument, RelayError, type WireError, warning } from '../../kernel/errors.js';
import type { ProtectedHost, RecordOwner } from '../../kernel/guard.js';
import type { Observable } from '../../kernel/observables.js';
import type { Outcome, TriggerRequest, TriggerResult } from '../../kernel/vendor.js';
import {
  bandFull,
  type Change,
  deniedDirections,
  denyBlocker,
  denyCidr,
  freeSlots,
  undenyCidr,
} from './blocker.js';
import { describeChange, logChanges } from './bulk.js';
import { type NaclView, naclApi } from './client.js';
import type { NaclConfig } from './config.js';
import { AWS_NACL_CLIENT_NAME, DENY_ACTION, elementId, REMOVE_DENY_ACTION, SUPPORTED_TYPES } from './ids.js';

/** The guard's no-block hosts (none without Vectra); an unreadable group is an error, never "none". */
async function protectedHosts(
  ctx: RequestContext,
): Promise<{ hosts: readonly ProtectedHost[]; error?: unknown }> {
  if (!ctx.guard) return { hosts: [] };
  return ctx.guard.protectedHosts().then(
    (hosts) => ({ hosts }),
    (error: unknown) => ({ hosts: [], error }),
  );
}

const covers = (c: Cidr, ip: string): boolean => {
  const host = parseCidr(ip);
  return host !== undefined && overlaps(c, host);
};

/** The VAR records (any host, account, detection, the static list) relying on this deny. */
const varRecordOwners = async (
  ctx: RequestContext,
  naclId: string,
  cidr: Cidr,
): Promise<readonly RecordOwner[]> =>
  ctx.guard ? ctx.guard.holders(AWS_NACL_CLIENT_NAME, elementId(naclId, cidr), cidr.text) : [];

export {
  AWS_NACL_CLIENT_NAME,
  DENY_ACTION,
  elementId,
  parseElementId,
  REMOVE_DENY_ACTION,
  SUPPORTED_TYPES,
} from './ids.js';

/** Fails when a NACL is missing or its band is full; warns about rules the relay cannot manage or beat. */
export async function health(cfg: NaclConfig, ctx: RequestContext): Promise<WireError[]> {
  const views = await naclApi(cfg, cachesOf(ctx)).describe(cfg.naclIds, ctx.signal);
  const missing = cfg.naclIds.filter((id) => !views.has(id));
  if (missing.length) throw notFound(missing, cfg);
  const warnings: WireError[] = [];
  for (const id of cfg.naclIds) {
    const view = views.get(id) as NaclView;
    for (const d of cfg.directions)
      if (freeSlots(view, cfg.band, d === 'egress') === 0) throw bandFull(id, cfg.band, d);
    warnings.push(...bandWarnings(view, cfg));
  }
  return warnings;
}

const notFound = (ids: readonly string[], cfg: NaclConfig) =>
  new RelayError('not found', `Network ACL ${ids.join(', ')} was not found in ${cfg.region}.`);

const MAX_LISTED = 5;

/**
 * Denies outside the owned band (earlier tokens could write anywhere) are listed as
 * unmanaged; an allow numbered inside or below the band means denies for the
 * traffic it matches can only take the numbers below it.
 */
export function bandWarnings(view: NaclView, cfg: Pick<NaclConfig, 'band' | 'directions'>): WireError[] {
  const out: WireError[] = [];
  const { lo, hi } = cfg.band;
  const unmanaged = view.entries.filter(
    (e) => e.action === 'deny' && e.ruleNumber <= 32766 && (e.ruleNumber < lo || e.ruleNumber > hi),
  );
  if (unmanaged.length) {
    const listed = unmanaged
      .slice(0, MAX_LISTED)
      .map((e) => `${e.egress ? 'egress' : 'ingress'} ${e.ruleNumber} ${e.cidr?.text ?? '?'}`);
    const more = unmanaged.length > MAX_LISTED ? ` and ${unmanaged.length - MAX_LISTED} more` : '';
    out.push(
      warning(
        'unmanaged-nacl-entries',
        `Network ACL ${view.id} holds deny rules outside the owned band ${lo}-${hi} (${listed.join(', ')}${more}): the relay does not manage them and never removes them.`,
      ),
    );
  }
  for (const d of cfg.directions) {
    const allows = view.entries
      .filter((e) => e.action === 'allow' && e.egress === (d === 'egress') && e.ruleNumber <= hi)
      .sort((a, b) => a.ruleNumber - b.ruleNumber);
    const first = allows[0];
    if (first) {
      out.push(
        warning(
          'deny-behind-allow',
          `Network ACL ${view.id} (${d}): rule ${first.ruleNumber} allows ${first.cidr?.text ?? 'some traffic'} within the owned band ${lo}-${hi}; AWS evaluates it first, so addresses it matches can only be denied with numbers below ${first.ruleNumber}. Keep the band below the first allow rule.`,
        ),
      );
    }
  }
  return out;
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
    naclApi(cfg, cachesOf(ctx)).describe(cfg.naclIds, ctx.signal),
    protectedHosts(ctx),
  ]);
  const data: RespondAction[] = [];
  const errors: unknown[] = guard.error === undefined ? [] : [guard.error];
  // One missing NACL is reported alone; the others still get their actions.
  const missing = cfg.naclIds.filter((id) => !views.has(id));
  if (missing.length) errors.push(notFound(missing, cfg));
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
      const view = views.get(naclId);
      if (!view) continue;
      const denied = deniedDirections(view, cfg, cidr);
      const params = { observable_type: o.type, observable_value: o.value, nacl_id: naclId };
      if (denied.size > 0) {
        const owners = await varRecordOwners(ctx, naclId, cidr).catch((err: unknown) => {
          errors.push(err);
          return undefined; // fail closed: no removal offered without the check
        });
        if (owners?.length)
          errors.push(
            recordedWarning(
              o.value,
              naclId,
              owners.map((x) => x.label),
            ),
          );
        else if (owners) data.push(removeAction(o.value, naclId, params));
      }
      // Partly denied (e.g. an ingress write failed earlier): offer to complete it as well.
      const todo = cfg.directions.filter((d) => !denied.has(d));
      if (mayDeny && todo.length > 0 && blockable(cidr, cfg)) {
        // Offer only a deny that can work: one below every allow for this traffic, with a free number.
        const why = todo.map((d) => denyBlocker(view, cfg.band, d, cidr)).find((e) => e !== undefined);
        if (why) errors.push(warning('deny-not-possible', why.message));
        else data.push(denyAction(o.value, naclId, cfg, params));
      }
    }
  }
  return { data, errors };
}

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
  const api = naclApi(cfg, cachesOf(ctx));
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
    const owners = await varRecordOwners(ctx, naclId, cidr);
    if (owners.length) {
      throw invalidArgument(
        recordedWarning(
          value,
          naclId,
          owners.map((x) => x.label),
        ).message,
      );
    }
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

const recordedWarning = (ip: string, naclId: string, owners: readonly string[]) =>
  warning(
    'var-recorded-block',
    `The deny of ${ip} at ${naclId} is the VAR block of ${owners.join(', ')}: unblock that instead, so Vectra's tags stay true.`,
  );
