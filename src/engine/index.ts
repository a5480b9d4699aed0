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
import { createGuard } from '../var/guard.js';
import type { StaticIpStore } from '../var/ports.js';
import { createBlockClients } from '../vendors/block-clients.js';
import { VectraClient, type VectraClientOptions } from '../vendors/vectra/client.js';
import { parseVectraConfig } from '../vendors/vectra/config.js';
import { vectraGroupStaticIpStore, vectraPort } from '../vendors/vectra/var-port.js';
import { type Policy, PolicyError, withVectraClaims } from './policy.js';
import { type EngineReport, runEngine } from './run.js';

export type { DetectionQuery, EnginePort, EntityQuery, StaticIpStore, TagUpdate } from '../var/ports.js';
export { vectraGroupStaticIpStore, vectraPort } from '../vendors/vectra/var-port.js';
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
export { type EngineOptions, type EngineReport, type EngineSummary, runEngine } from './run.js';
export { fileStaticIpStore, memoryStaticIpStore } from './static-ips.js';
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
    claimsSource: 'engine',
  };
}

/** One engine run from claims and a policy. Throws only for configuration errors. */
export async function runEngineWithClaims(setup: EngineSetup): Promise<EngineReport> {
  const vectraConfig = parseVectraConfig(setup.claims, setup.config, 'engine');
  if (!vectraConfig) throw new PolicyError('The engine needs vectra_url (and credentials) in its claims');
  // Tags and no-block groups: the policy's own value, else the claims' (the relay's respond uses them).
  const policy = withVectraClaims(setup.policy, vectraConfig);
  const bare = engineContext(setup);
  const client = new VectraClient(vectraConfig, bare, setup.vectraOptions);
  const port = vectraPort(client);
  const staticIps = (setup.staticIps ?? ((c) => vectraGroupStaticIpStore(c, policy.STATIC_IPS_GROUP_NAME)))(
    client,
  );
  // One guard for the run, on the groups the engine honours (the policy's, else the claims'),
  // handed to every client through the context: no client reads Vectra itself.
  const guard = createGuard(port, {
    noBlockHostGroup: policy.NO_BLOCK_HOST_GROUP_NAME ?? vectraConfig.noBlockHostGroup,
    noBlockAccountGroup: policy.NO_BLOCK_ACCOUNT_GROUP_NAME ?? vectraConfig.noBlockAccountGroup,
    staticIps: () => staticIps.read(),
    concurrency: setup.config.upstreamConcurrency,
  });
  const ctx: RequestContext = { ...bare, guard };
  const clients = createBlockClients(ctx);
  return runEngine({
    port,
    guard,
    clients,
    policy,
    staticIps,
    log: setup.log,
    dryRun: setup.dryRun,
    concurrency: setup.config.upstreamConcurrency,
    ...(setup.now ? { now: setup.now } : {}),
  });
}
