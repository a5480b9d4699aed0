/**
 * Scheduled (EventBridge) Lambda handler of the automated response engine.
 *
 * - Credentials: env `ENGINE_SECRET_ARN` names a Secrets Manager secret whose
 *   JSON is the same flat claims the relay reads from a JWT (vectra_*,
 *   block_clients, aws_* …). Read through the lazily imported SDK, cached for
 *   the life of the container, never logged.
 * - Policy: env `ENGINE_POLICY` (JSON) or `ENGINE_POLICY_FILE`.
 * - `ENGINE_DRY_RUN` defaults to "true": only an explicit false applies.
 * Overlapping runs are prevented by reserved concurrency 1 (cdk/); the
 * engine's operations are idempotent besides.
 */
import pkg from '../../package.json' with { type: 'json' };
import { parseClaimsJson, parseDryRun, policyFromEnv } from '../engine/entry.js';
import type { EngineSummary, PlanReport } from '../engine/index.js';
import { runEngineWithClaims } from '../engine/index.js';
import { loadConfig } from '../kernel/config.js';
import { createLogger } from '../kernel/logger.js';
import { createSecretReader, type SecretFetcher } from './secret-key.js';

export interface EngineHandlerDeps {
  readonly env: Record<string, string | undefined>;
  /** Fetches a secret's string by id (default: Secrets Manager); cached per cold start either way. */
  readonly readSecret?: SecretFetcher;
}

export interface EngineHandlerResult {
  readonly summary: EngineSummary | undefined;
  readonly plan: PlanReport | undefined;
  /** Why the run did nothing, e.g. the stack's placeholder secret is still in place. */
  readonly skipped?: string;
}

/** How long the engine trusts its cached claims secret. */
export const ENGINE_SECRET_TTL_MS = 5 * 60_000;

/** Leaves time to log the summary before Lambda's own timeout. */
const MARGIN_MS = 10_000;

export function createEngineHandler(deps: EngineHandlerDeps) {
  // A warm container can live for hours: re-read so rotated credentials (or a freshly
  // filled placeholder) take effect within minutes, not at the next cold start.
  const readSecret = createSecretReader(deps.readSecret, { ttlMs: ENGINE_SECRET_TTL_MS });
  return async (
    _event?: unknown,
    context?: { getRemainingTimeInMillis?: () => number },
  ): Promise<EngineHandlerResult> => {
    const env = deps.env;
    const config = loadConfig(env, pkg.version);
    const log = createLogger(config.logLevel, 'vectra-xdr-relay-engine');
    const secretId = env.ENGINE_SECRET_ARN?.trim();
    if (!secretId) throw new Error('ENGINE_SECRET_ARN is not set');
    const [claims, policy] = await Promise.all([
      readSecret(secretId).then((text) => parseClaimsJson(text, 'The engine secret')),
      policyFromEnv(env),
    ]);
    if ('_placeholder' in claims) {
      // A fresh stack's secret: not an error to alarm on every few minutes, but worth a warning.
      const skipped = `the engine secret ${secretId} still holds the stack's placeholder; put the module's claims JSON in it`;
      log.warn('engine not configured; run skipped', { reason: skipped });
      return { summary: undefined, plan: undefined, skipped };
    }
    const remaining = context?.getRemainingTimeInMillis?.();
    const report = await runEngineWithClaims({
      claims,
      policy,
      config,
      log,
      dryRun: parseDryRun(env.ENGINE_DRY_RUN),
      ...(remaining === undefined ? {} : { deadlineMs: Math.max(1_000, remaining - MARGIN_MS) }),
    });
    return { summary: report.summary, plan: report.plan };
  };
}

export const handler = createEngineHandler({ env: process.env });
