/**
 * The automated response engine (issue #8): VAR's policy loop on the relay's
 * platform. `runEngineWithClaims` wires one run from the same flat claims the
 * relay reads from a JWT — Vectra client, block clients from the registry,
 * static IP store — and is shared by the Lambda handler and the CLI. The core
 * (`runEngine`) only knows the ports, so tests drive it in memory too.
 */
import type { RelayConfig } from '../kernel/config.js';
import type { Claims, RequestContext } from '../kernel/context.js';
import type { Logger } from '../kernel/logger.js';
import { createBlockClients } from '../vendors/block-clients.js';
import { VectraClient, type VectraClientOptions } from '../vendors/vectra/client.js';
import { parseVectraConfig } from '../vendors/vectra/config.js';
import { type Policy, PolicyError, withVectraClaims } from './policy.js';
import type { StaticIpStore } from './port.js';
import { type EngineReport, runEngine } from './run.js';
import { vectraGroupStaticIpStore, vectraPort } from './vectra-port.js';

export type { BlockReason, UnblockReason } from './algebra.js';
export type { ActionRecord } from './apply.js';
export type { PlanEntry, PlanReport } from './plan.js';
export {
  DEFAULT_POLICY,
  type Policy,
  PolicyError,
  type PolicyKey,
  PolicySchema,
  parsePolicy,
  parsePolicyJson,
  type ThreatCertainty,
  withVectraClaims,
} from './policy.js';
export type { DetectionQuery, EnginePort, EntityQuery, StaticIpStore, TagUpdate } from './port.js';
export { type EngineOptions, type EngineReport, type EngineSummary, runEngine } from './run.js';
export { fileStaticIpStore, memoryStaticIpStore } from './static-ips.js';
export { vectraGroupStaticIpStore, vectraPort } from './vectra-port.js';
export { inBlockingWindow } from './window.js';

/** Default bound on one run (Vectra calls honour it through the request context). */
export const DEFAULT_RUN_DEADLINE_MS = 10 * 60_000;

export interface EngineSetup {
  /** Flat claims: vectra_*, block_clients, the clients' own fields (aws_* …). */
  readonly claims: Claims;
  readonly policy: Policy;
  readonly config: RelayConfig;
  readonly log: Logger;
  readonly dryRun: boolean;
  /** Where the applied static IP list lives; default: an `ip` group in Vectra. */
  readonly staticIps?: (client: VectraClient) => StaticIpStore;
  readonly deadlineMs?: number;
  readonly now?: () => Date;
  readonly vectraOptions?: VectraClientOptions;
}

/** A request context for one run: the claims stay in it, nothing goes to module state. */
export function engineContext(
  setup: Pick<EngineSetup, 'claims' | 'config' | 'log' | 'deadlineMs'>,
): RequestContext {
  const ms = setup.deadlineMs ?? DEFAULT_RUN_DEADLINE_MS;
  return {
    config: setup.config,
    claims: setup.claims,
    entitiesLimit: 100,
    signal: AbortSignal.timeout(ms),
    deadline: Date.now() + ms,
    log: setup.log,
    moduleInstanceId: undefined,
  };
}

/**
 * The claims the run's clients read: the setup's, with the no-block group
 * names the engine honours (`vectra_no_block_host_group` /
 * `vectra_no_block_account_group` = the policy's effective values). Block
 * clients with a no-block interlock (the NACL client's, `var/guard.ts`) read
 * the group from the claims; without this, a host in a group only the policy
 * names could still be denied as a detection destination or a static IP. A
 * group the policy disables (`null`) leaves the claim as it is: the interlock
 * then keeps guarding the claimed group, which can only refuse more.
 */
export function clientClaims(claims: Claims, policy: Policy): Claims {
  const out: Record<string, string> = { ...claims };
  if (policy.NO_BLOCK_HOST_GROUP_NAME !== null)
    out.vectra_no_block_host_group = policy.NO_BLOCK_HOST_GROUP_NAME;
  if (policy.NO_BLOCK_ACCOUNT_GROUP_NAME !== null)
    out.vectra_no_block_account_group = policy.NO_BLOCK_ACCOUNT_GROUP_NAME;
  // The NACL client keeps denies the static list still relies on: tell it where that list lives.
  out.var_static_ips_group = policy.STATIC_IPS_GROUP_NAME;
  return out;
}

/** One engine run from claims and a policy. Throws only for configuration errors. */
export async function runEngineWithClaims(setup: EngineSetup): Promise<EngineReport> {
  const vectraConfig = parseVectraConfig(setup.claims, setup.config);
  if (!vectraConfig) throw new PolicyError('The engine needs vectra_url (and credentials) in its claims');
  // Tags and no-block groups: the policy's own value, else the claims' (the relay's respond uses them).
  const policy = withVectraClaims(setup.policy, vectraConfig);
  // One context for the run; its claims carry the no-block groups the engine honours.
  const ctx = engineContext({ ...setup, claims: clientClaims(setup.claims, policy) });
  const client = new VectraClient(vectraConfig, ctx, setup.vectraOptions);
  const clients = createBlockClients(ctx);
  const staticIps = (setup.staticIps ?? ((c) => vectraGroupStaticIpStore(c, policy.STATIC_IPS_GROUP_NAME)))(
    client,
  );
  return runEngine({
    port: vectraPort(client),
    clients,
    policy,
    staticIps,
    log: setup.log,
    dryRun: setup.dryRun,
    concurrency: setup.config.upstreamConcurrency,
    ...(setup.now ? { now: setup.now } : {}),
  });
}
