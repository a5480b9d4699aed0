/**
 * One run of the automated response loop: plan, check the safety cap, the dry
 * run switch and the blocking window, then apply — per kind in VAR's order
 * (block, unblock, groom, then the engine's reconcile; hosts, accounts,
 * detections, static IPs) — and emit one summary record. A planning failure
 * applies nothing: a partial `matching` set would turn into mass unblocking
 * through `blocked − matching`. Outside the blocking window only the unblocks
 * of wrongly blocked objects (reason `no-block`) are applied; the run is still
 * reported as skipped (`outside-window`), its actions list those unblocks.
 */
import pLimit from 'p-limit';
import type { BlockClient } from '../kernel/block-client.js';
import type { Logger } from '../kernel/logger.js';
import { Applier } from '../var/applier.js';
import type { VarGuard } from '../var/guard.js';
import type { EnginePort, StaticIpStore } from '../var/ports.js';
import {
  type ActionRecord,
  type ApplyContext,
  blockObject,
  errorText,
  groomHost,
  reconcileObject,
  unblockObject,
} from './apply.js';
import { type EngineObject, enabledClients } from './clients.js';
import { buildPlan, type Plan, type PlanReport } from './plan.js';
import type { Policy } from './policy.js';
import type { KindSelection } from './select.js';
import { applyStaticIps } from './static-ips.js';
import { inBlockingWindow } from './window.js';

export interface EngineOptions {
  readonly port: EnginePort;
  /** The VAR core's guard (no-block sets, shared elements); tests without one run unguarded. */
  readonly guard?: VarGuard;
  /** Every client the registry built from the claims (`createBlockClients`). */
  readonly clients: readonly BlockClient[];
  readonly policy: Policy;
  readonly staticIps: StaticIpStore;
  readonly log: Logger;
  /** Compute and report only; no client call, no tag, note or state write. */
  readonly dryRun: boolean;
  readonly now?: () => Date;
  /** Per-object fetches and applications in flight (default 8). */
  readonly concurrency?: number;
  readonly moduleInstanceId?: string;
}

export type SkipReason = 'dry-run' | 'outside-window' | 'planning-failed';

interface ClientCounts {
  blocked: number;
  unblocked: number;
  unchanged: number;
  failed: number;
}

export interface EngineSummary {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly dryRun: boolean;
  readonly applied: boolean;
  /**
   * Why the plan was not applied. `outside-window` still applies the unblocks
   * of wrongly blocked (no-block) objects; they are in `actions`.
   */
  readonly skipped: SkipReason | undefined;
  readonly cap: number;
  readonly newBlocks: number;
  /** True when `newBlocks > cap`: the run blocked nothing, not even a reconcile (unblocks still ran). */
  readonly capExceeded: boolean;
  readonly counts: Record<string, Record<string, number>>;
  /**
   * Block candidates no enabled client can block, per kind and reason (only
   * non-zero ones): never attempted, not counted by the cap; the plan lists them.
   */
  readonly unblockable: Record<string, Record<string, number>>;
  readonly perClient: Record<string, ClientCounts>;
  readonly errors: readonly string[];
}

export interface EngineReport {
  readonly summary: EngineSummary;
  readonly plan: PlanReport | undefined;
  readonly actions: readonly ActionRecord[];
}

/** The user tags an explicit unblock consumes: the unblock tag AND the block tag (VAR bug §7.6). */
function explicitTags(policy: Policy, kind: EngineObject['kind']): [string, string] {
  if (kind === 'host') return [policy.UNBLOCK_HOST_TAG, policy.BLOCK_HOST_TAG];
  if (kind === 'account') return [policy.UNBLOCK_ACCOUNT_TAG, policy.BLOCK_ACCOUNT_TAG];
  return [policy.EXTERNAL_UNBLOCK_DETECTION_TAG, policy.EXTERNAL_BLOCK_DETECTION_TAG];
}

/** What a run may apply: everything (in the window), or only the no-block unblocks (outside it). */
type ApplyScope = 'all' | 'no-block-unblocks';

async function applyKind<T extends EngineObject>(
  ctx: ApplyContext,
  policy: Policy,
  sel: KindSelection<T>,
  allowBlock: boolean,
  concurrency: number,
  scope: ApplyScope = 'all',
): Promise<void> {
  const limit = pLimit(concurrency);
  const all = scope === 'all';
  if (all && allowBlock)
    await Promise.all(sel.toBlock.map(({ object }) => limit(() => blockObject(ctx, object))));
  // Outside the window only a wrongly blocked object (now in a no-block group) is released.
  const toUnblock = all ? sel.sets.toUnblock : sel.sets.toUnblock.filter((u) => u.reason === 'no-block');
  await Promise.all(
    toUnblock.map(({ object }) => {
      const [unblockTag] = explicitTags(policy, object.kind);
      const explicit = policy.EXPLICIT_UNBLOCK && object.allTags.includes(unblockTag);
      return limit(() => unblockObject(ctx, object, explicit ? explicitTags(policy, object.kind) : []));
    }),
  );
  if (!all || !allowBlock) return;
  // Clients whose groom answer acted on a host: their decision stands, no reconcile for them.
  const groomed = new Map<number, ReadonlySet<string>>();
  await Promise.all(
    sel.sets.toGroom.map((o) =>
      limit(async () => {
        if (o.kind === 'host') groomed.set(o.id, await groomHost(ctx, o));
      }),
    ),
  );
  // Reconcile adds no blocked object (not counted by the cap), but like every
  // block it runs only when the cap lets the run block at all.
  await Promise.all(
    sel.sets.toReconcile.map(({ object }) =>
      limit(() => reconcileObject(ctx, object, groomed.get(object.id))),
    ),
  );
}

function countsOf(plan: Plan | undefined): EngineSummary['counts'] {
  if (!plan) return {};
  const kind = (k: 'hosts' | 'accounts' | 'detections') => {
    const r = plan.report[k];
    return {
      matching: r.matching,
      blocked: r.blocked,
      noBlock: r.noBlock,
      toBlock: r.toBlock.length,
      unblockable: r.unblockable.length,
      toUnblock: r.toUnblock.length,
      toGroom: r.toGroom.length,
      toReconcile: r.toReconcile.length,
      wronglyBlocked: r.wronglyBlocked.length,
    };
  };
  return {
    hosts: kind('hosts'),
    accounts: kind('accounts'),
    detections: kind('detections'),
    staticIps: { toBlock: plan.staticIps.toBlock.length, toUnblock: plan.staticIps.toUnblock.length },
  };
}

function unblockableOf(plan: Plan | undefined): EngineSummary['unblockable'] {
  const out: Record<string, Record<string, number>> = {};
  if (!plan) return out;
  for (const k of ['hosts', 'accounts', 'detections'] as const) {
    for (const u of plan.report[k].unblockable) {
      const byReason = out[k] ?? {};
      out[k] = byReason;
      byReason[u.unblockable] = (byReason[u.unblockable] ?? 0) + 1;
    }
  }
  return out;
}

function perClient(actions: readonly ActionRecord[]): Record<string, ClientCounts> {
  const out: Record<string, ClientCounts> = {};
  for (const a of actions) {
    if (!a.client) continue;
    const c = out[a.client] ?? { blocked: 0, unblocked: 0, unchanged: 0, failed: 0 };
    out[a.client] = c;
    if (a.outcome === 'failure') c.failed++;
    else if (a.outcome === 'unchanged') c.unchanged++;
    else if (a.action.endsWith('unblock')) c.unblocked++;
    else c.blocked++;
  }
  return out;
}

export async function runEngine(opts: EngineOptions): Promise<EngineReport> {
  const now = opts.now ?? (() => new Date());
  const started = performance.now();
  const startedAt = now().toISOString();
  const concurrency = opts.concurrency ?? 8;
  const actions: ActionRecord[] = [];
  const errors: string[] = [];
  let plan: Plan | undefined;
  let skipped: SkipReason | undefined;
  const cap = opts.policy.MAX_NEW_BLOCKS_PER_RUN;
  try {
    const clients = enabledClients(opts.clients, opts.policy.THIRD_PARTY_CLIENTS);
    plan = await buildPlan({ ...opts, clients, concurrency });
    const capExceeded = plan.newBlocks > cap;
    if (opts.dryRun) skipped = 'dry-run';
    else {
      const ctx: ApplyContext = {
        port: opts.port,
        applier: new Applier({
          port: opts.port,
          guard: opts.guard,
          source: 'relay engine',
          log: opts.log,
          now,
        }),
        clients,
        allClients: opts.clients,
        log: opts.log,
        now,
        moduleInstanceId: opts.moduleInstanceId,
        actions,
      };
      const allowBlock = !capExceeded;
      // Outside the window the run still releases wrongly blocked (no-block)
      // objects: a host just put in the no-block group must not wait for it.
      let scope: ApplyScope = 'all';
      if (!inBlockingWindow(opts.policy, now())) {
        skipped = 'outside-window';
        scope = 'no-block-unblocks';
      }
      await applyKind(ctx, opts.policy, plan.hosts, allowBlock, concurrency, scope);
      await applyKind(ctx, opts.policy, plan.accounts, allowBlock, concurrency, scope);
      await applyKind(ctx, opts.policy, plan.detections, allowBlock, concurrency, scope);
      if (scope === 'all') await applyStaticIps(ctx, plan.staticIps, opts.staticIps, allowBlock);
    }
    if (capExceeded) {
      errors.push(
        `Safety cap: ${plan.newBlocks} new blocks planned, at most ${cap} allowed; nothing blocked`,
      );
    }
  } catch (err) {
    if (!plan) skipped = 'planning-failed';
    errors.push(errorText(err));
  }
  for (const a of actions) {
    if (a.outcome === 'failure')
      errors.push(`${a.action} ${a.kind} ${a.id ?? ''} via ${a.client}: ${a.error}`);
  }
  const summary: EngineSummary = {
    startedAt,
    durationMs: Math.round(performance.now() - started),
    dryRun: opts.dryRun,
    applied: plan !== undefined && skipped === undefined,
    skipped,
    cap,
    newBlocks: plan?.newBlocks ?? 0,
    capExceeded: plan !== undefined && plan.newBlocks > cap,
    counts: countsOf(plan),
    unblockable: unblockableOf(plan),
    perClient: perClient(actions),
    errors,
  };
  const level = errors.length > 0 ? 'warn' : 'info';
  opts.log[level]('engine run summary', { engine: summary });
  return { summary, plan: plan?.report, actions };
}
