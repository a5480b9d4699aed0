/**
 * One run's plan: the selections of `select.ts` for hosts, accounts and
 * detections plus the static IP diff, and a JSON-safe report of it — per
 * object the reasons (tag / group / score / urgency / detection-type /
 * host-score, or no-block / explicit-unblock / no-longer-matching) and the
 * clients that would act. A dry run returns exactly this and writes nothing.
 */
import pLimit from 'p-limit';
import type { BlockClient } from '../vendors/types.js';
import type { VectraAccount, VectraDetection, VectraHost } from '../vendors/vectra/model.js';
import type { BlockReason, UnblockReason } from './algebra.js';
import { type EngineObject, eligibleClients } from './clients.js';
import type { Policy } from './policy.js';
import type { EnginePort, StaticIpStore } from './port.js';
import { type KindSelection, selectAccounts, selectDetections, selectHosts } from './select.js';
import { planStaticIps, type StaticIpPlan, staticClients } from './static-ips.js';

export interface PlanEntry {
  readonly id: number;
  readonly name: string;
  readonly reasons: ReadonlyArray<BlockReason | UnblockReason | 'groom'>;
  /** Display names of the clients that would act. */
  readonly clients: readonly string[];
}

export interface KindPlanReport {
  readonly toBlock: readonly PlanEntry[];
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
  readonly hosts: KindSelection<VectraHost>;
  readonly accounts: KindSelection<VectraAccount>;
  readonly detections: KindSelection<VectraDetection>;
  readonly staticIps: StaticIpPlan;
  readonly report: PlanReport;
  /** Objects the run would newly block (what the safety cap counts; reconciles add no blocked object). */
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

function reportKind<T extends EngineObject>(
  sel: KindSelection<T>,
  clients: readonly BlockClient[],
): KindPlanReport {
  return {
    toBlock: sel.toBlock.map(({ object, reasons }) => ({
      id: object.id,
      name: nameOf(object),
      reasons,
      clients: eligibleClients(object, clients).map((c) => c.name),
    })),
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
  const [hosts, accounts, detections, current] = await Promise.all([
    selectHosts(sel),
    selectAccounts(sel),
    selectDetections(sel),
    deps.staticIps.read(),
  ]);
  const staticIps = planStaticIps(deps.policy.STATIC_BLOCK_DESTINATION_IPS, current);
  return {
    hosts,
    accounts,
    detections,
    staticIps,
    newBlocks: hosts.toBlock.length + accounts.toBlock.length + detections.toBlock.length,
    report: {
      hosts: reportKind(hosts, deps.clients),
      accounts: reportKind(accounts, deps.clients),
      detections: reportKind(detections, deps.clients),
      staticIps: { ...staticIps, clients: staticClients(deps.clients).map((c) => c.name) },
    },
  };
}
