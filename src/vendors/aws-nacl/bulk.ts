/**
 * The block-client side of the NACL vendor: deny or release many addresses in
 * every configured NACL with one describe, collecting per-target failures, and
 * the rules for what a block client may answer (complete blocks only; partial
 * unblocks are fine because unreleased ids keep their tags).
 */

import { cachesOf } from '../../kernel/caches.js';
import { blockableCidr, type Cidr, overlaps, parseCidr } from '../../kernel/cidr.js';
import type { RequestContext } from '../../kernel/context.js';
import { invalidArgument, RelayError } from '../../kernel/errors.js';
import type { RecordOwner } from '../../kernel/guard.js';
import { type Change, denyCidr, undenyCidr } from './blocker.js';
import { type NaclApi, type NaclView, naclApi } from './client.js';
import type { NaclConfig } from './config.js';
import { AWS_NACL_CLIENT_NAME, elementId, parseElementId } from './ids.js';

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
/**
 * One DescribeNetworkAcls per context until something is written: an engine run
 * re-checks every blocked object (reconcile) with one context, and would otherwise
 * describe the same NACLs once per object. A stale snapshot is safe here: the
 * blocker re-reads on a number collision, and any write drops the snapshot.
 */
const snapshots = new WeakMap<RequestContext, Map<string, Promise<Map<string, NaclView>>>>();

function describeOnce(ctx: RequestContext, api: NaclApi, ids: string[]): Promise<Map<string, NaclView>> {
  const key = [...ids].sort().join(',');
  let byKey = snapshots.get(ctx);
  if (!byKey) {
    byKey = new Map();
    snapshots.set(ctx, byKey);
  }
  let views = byKey.get(key);
  if (!views) {
    views = api.describe(ids, ctx.signal);
    views.catch(() => snapshots.get(ctx)?.delete(key));
    byKey.set(key, views);
  }
  return views;
}

async function bulk(
  cfg: NaclConfig,
  targets: readonly Target[],
  ctx: RequestContext,
  op: typeof denyCidr,
): Promise<BulkResult> {
  const result: BulkResult = { ids: [], changes: [], errors: [], refused: [], succeeded: 0 };
  if (targets.length === 0) return result;
  const api = naclApi(cfg, cachesOf(ctx));
  const views = await describeOnce(ctx, api, [...new Set(targets.map((t) => t.naclId))]);
  // Concurrency is bounded where the calls are made (client.ts), whatever the fan-out here.
  const settled = await Promise.allSettled(
    targets.map((t) => op(api, cfg, t.naclId, t.cidr, { signal: ctx.signal, view: views.get(t.naclId) })),
  );
  // Anything written (or possibly written) makes the snapshot stale for the next call.
  if (settled.some((x) => x.status === 'rejected' || x.value.some((c) => !c.dryRun))) snapshots.delete(ctx);
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
  // The VAR core's guard, when the claims configure Vectra; it fails closed (throws) when unreadable.
  const protectedHosts = ctx.guard ? await ctx.guard.protectedHosts() : [];
  for (const input of new Set(inputs)) {
    try {
      const c = blockableCidr(input, cfg.policy);
      const shielded = protectedHosts.find((h) => {
        const ip = parseCidr(h.ip);
        return ip !== undefined && overlaps(c, ip);
      });
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
  releasing: Releasing = { kind: 'static-ips', id: null },
): Promise<BulkResult> {
  const cidrs = [...new Set(inputs)].map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const targets = cfg.naclIds.flatMap((naclId) => cidrs.map((cidr) => ({ naclId, cidr })));
  return release(cfg, targets, ctx, releasing);
}

/** Which record is letting go of its denies (its own tags or list do not count as other owners). */
export type Releasing = Pick<RecordOwner, 'kind' | 'id'>;

/**
 * Deletes the denies no other Vectra record relies on. A deny shared with
 * another host, detection or the static list (one C2 address hit from several
 * hosts) is kept, and reported released for this record only, so its tag goes
 * while the others stay true. A failed ownership lookup fails the unblock.
 */
async function release(
  cfg: NaclConfig,
  targets: readonly Target[],
  ctx: RequestContext,
  releasing: Releasing,
): Promise<BulkResult> {
  const shared: Target[] = [];
  const alone: Target[] = [];
  for (const t of targets) {
    const owners = ctx.guard
      ? await ctx.guard.holders(AWS_NACL_CLIENT_NAME, elementId(t.naclId, t.cidr), t.cidr.text, releasing)
      : [];
    if (owners.length) {
      ctx.log.info({
        message: 'AWS NACL deny kept: still relied on',
        id: elementId(t.naclId, t.cidr),
        by: owners.map((o) => o.label),
      });
      shared.push(t);
    } else alone.push(t);
  }
  const r = await bulk(cfg, alone, ctx, undenyCidr);
  return {
    ...r,
    ids: [...r.ids, ...(cfg.dryRun ? [] : shared.map((t) => elementId(t.naclId, t.cidr)))],
    succeeded: r.succeeded + shared.length,
  };
}

/** Removes exactly the elements named by ids from an earlier block; ids for other NACLs are skipped. */
export async function unblockIds(
  cfg: NaclConfig,
  ids: readonly string[],
  ctx: RequestContext,
  releasing: Releasing,
): Promise<BulkResult> {
  const targets: Target[] = [];
  for (const id of new Set(ids)) {
    const t = parseElementId(id);
    // Only NACLs this token configures may be touched, whatever a tag says.
    if (t && cfg.naclIds.includes(t.naclId)) targets.push(t);
    else ctx.log.warn({ message: 'Skipping an AWS NACL element id this token does not cover', id });
  }
  return release(cfg, targets, ctx, releasing);
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

export const describeChange = (c: Change): string =>
  `${c.dryRun ? 'would ' : ''}${c.op} ${c.direction} deny rule ${c.ruleNumber} for ${c.cidr} in ${c.naclId}`;

export function logChanges(ctx: RequestContext, changes: readonly Change[]): void {
  for (const c of changes)
    ctx.log.info({ message: 'AWS NACL change', change: describeChange(c), dryRun: c.dryRun });
}
