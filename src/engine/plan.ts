/**
 * One run's plan: the selections of `select.ts` for hosts, accounts and
 * detections plus the static IP diff, and a JSON-safe report of it — per
 * object the reasons (tag / group / score / urgency / detection-type /
 * host-score, or no-block / explicit-unblock / no-longer-matching) and the
 * clients that would act. A dry run returns exactly this and writes nothing.
 *
 * A candidate no enabled client can block (`unblockableReason`) is taken out
 * of `toBlock` and reported under `unblockable`: it is never attempted and does
 * not count against MAX_NEW_BLOCKS_PER_RUN — it would stay a candidate every
 * run, so counting it could stop all blocking for good.
 */
import pLimit from 'p-limit';
import type { BlockClient } from '../kernel/block-client.js';
import type { VectraAccount, VectraDetection, VectraHost } from '../kernel/model.js';
import type { EnginePort, StaticIpStore } from '../var/ports.js';
import type { BlockReason, UnblockReason } from './algebra.js';
import { type EngineObject, eligibleClients } from './clients.js';
import type { Policy } from './policy.js';
import { type KindSelection, selectAccounts, selectDetections, selectHosts } from './select.js';
import { planStaticIps, type StaticIpPlan, staticClients } from './static-ips.js';

export interface PlanEntry {
  readonly id: number;
  readonly name: string;
  readonly reasons: ReadonlyArray<BlockReason | UnblockReason | 'groom'>;
  /** Display names of the clients that would act. */
  readonly clients: readonly string[];
}

/** Why a block candidate cannot be blocked by any enabled client. */
export type UnblockableReason = 'no-eligible-client' | 'no-destination-ip';

export interface UnblockableEntry {
  readonly id: number;
  readonly name: string;
  /** Why it would be blocked. */
  readonly reasons: readonly BlockReason[];
  readonly unblockable: UnblockableReason;
}

export interface KindPlanReport {
  readonly toBlock: readonly PlanEntry[];
  /** Block candidates no enabled client can block: not attempted, not counted by the cap. */
  readonly unblockable: readonly UnblockableEntry[];
  readonly toUnblock: readonly PlanEntry[];
  readonly toGroom: readonly PlanEntry[];
  /**
   * Blocked objects that still match: each enabled eligible client is asked to
   * block them again (RECONCILE_BLOCKED); reasons say why they still match.
   */
  readonly toReconcile: readonly PlanEntry[];
  readonly wronglyBlocked: readonly number[];
  readonly matching: number;
  readonly blocked: number;
  readonly noBlock: number;
}

export interface PlanReport {
  readonly hosts: KindPlanReport;
  readonly accounts: KindPlanReport;
  readonly detections: KindPlanReport;
  readonly staticIps: StaticIpPlan & { readonly clients: readonly string[] };
}

export interface Plan {
  /** `toBlock` holds only the candidates some enabled client can block. */
  readonly hosts: KindSelection<VectraHost>;
  readonly accounts: KindSelection<VectraAccount>;
  readonly detections: KindSelection<VectraDetection>;
  readonly staticIps: StaticIpPlan;
  readonly report: PlanReport;
  /**
   * Objects the run would newly block (what the safety cap counts; reconciles
   * add no blocked object, unblockable candidates are not counted).
   */
  readonly newBlocks: number;
}

export interface PlanDeps {
  readonly port: EnginePort;
  readonly policy: Policy;
  readonly clients: readonly BlockClient[];
  readonly staticIps: StaticIpStore;
  /** Bound on per-object fetches in flight. */
  readonly concurrency: number;
}

const nameOf = (o: EngineObject): string => (o.kind === 'detection' ? o.detectionType : o.name);

const holders = (o: EngineObject): string[] =>
  Object.entries(o.blockedElements)
    .filter(([, ids]) => ids.length > 0)
    .map(([name]) => name);

/**
 * Why no enabled client can block `o`, or `undefined` when one can: no client
 * with the capability allowed by its `client:<module>` tags, or a detection
 * with no public destination IP (every detection block is a destination
 * block, VAR's `dst_ips`).
 */
export function unblockableReason(
  o: EngineObject,
  clients: readonly BlockClient[],
): UnblockableReason | undefined {
  if (eligibleClients(o, clients).length === 0) return 'no-eligible-client';
  if (o.kind === 'detection' && o.dstIps.length === 0) return 'no-destination-ip';
  return undefined;
}

/** Splits the block candidates: the blockable ones stay in `toBlock`. */
function splitBlockable<T extends EngineObject>(
  sel: KindSelection<T>,
  clients: readonly BlockClient[],
): { sel: KindSelection<T>; unblockable: UnblockableEntry[] } {
  const toBlock: Array<KindSelection<T>['toBlock'][number]> = [];
  const unblockable: UnblockableEntry[] = [];
  for (const entry of sel.toBlock) {
    const why = unblockableReason(entry.object, clients);
    if (why === undefined) toBlock.push(entry);
    else
      unblockable.push({
        id: entry.object.id,
        name: nameOf(entry.object),
        reasons: entry.reasons,
        unblockable: why,
      });
  }
  return { sel: { ...sel, toBlock }, unblockable };
}

function reportKind<T extends EngineObject>(
  sel: KindSelection<T>,
  unblockable: readonly UnblockableEntry[],
  clients: readonly BlockClient[],
): KindPlanReport {
  return {
    toBlock: sel.toBlock.map(({ object, reasons }) => ({
      id: object.id,
      name: nameOf(object),
      reasons,
      clients: eligibleClients(object, clients).map((c) => c.name),
    })),
    unblockable,
    toUnblock: sel.sets.toUnblock.map(({ object, reason }) => ({
      id: object.id,
      name: nameOf(object),
      reasons: [reason],
      clients: holders(object),
    })),
    toGroom: sel.sets.toGroom.map((o) => ({
      id: o.id,
      name: nameOf(o),
      reasons: ['groom'],
      clients: holders(o),
    })),
    toReconcile: sel.sets.toReconcile.map(({ object, reasons }) => ({
      id: object.id,
      name: nameOf(object),
      reasons,
      clients: eligibleClients(object, clients).map((c) => c.name),
    })),
    wronglyBlocked: sel.sets.wronglyBlocked,
    ...sel.counts,
  };
}

export async function buildPlan(deps: PlanDeps): Promise<Plan> {
  const sel = { port: deps.port, policy: deps.policy, limit: pLimit(deps.concurrency) };
  // Kinds are independent reads; one shared limit keeps the total fan-out bounded.
  const [hostSel, accountSel, detectionSel, current] = await Promise.all([
    selectHosts(sel),
    selectAccounts(sel),
    selectDetections(sel),
    deps.staticIps.read(),
  ]);
  const hosts = splitBlockable(hostSel, deps.clients);
  const accounts = splitBlockable(accountSel, deps.clients);
  const detections = splitBlockable(detectionSel, deps.clients);
  const staticIps = planStaticIps(deps.policy.STATIC_BLOCK_DESTINATION_IPS, current);
  return {
    hosts: hosts.sel,
    accounts: accounts.sel,
    detections: detections.sel,
    staticIps,
    newBlocks: hosts.sel.toBlock.length + accounts.sel.toBlock.length + detections.sel.toBlock.length,
    report: {
      hosts: reportKind(hosts.sel, hosts.unblockable, deps.clients),
      accounts: reportKind(accounts.sel, accounts.unblockable, deps.clients),
      detections: reportKind(detections.sel, detections.unblockable, deps.clients),
      staticIps: { ...staticIps, clients: staticClients(deps.clients).map((c) => c.name) },
    },
  };
}
