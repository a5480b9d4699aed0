/**
 * Scheduled (EventBridge, every minute) Lambda handler of the Carbon Black
 * live-response collection: advances every active job one step
 * (`src/vendors/carbon_black/collect/runner.ts`).
 *
 * A job outlives the request that started it, so it runs with the
 * deployment's credentials: the engine's claims secret (`ENGINE_SECRET_ARN`,
 * the same flat claims: vectra_*, block_clients, carbon_black_*), never a
 * token's. Its own function (not the engine's schedule) so that only it and
 * the relay hold the collection bucket's rights, and a slow sensor never
 * delays the engine's policy run. Overlapping runs are harmless (each step
 * re-reads the job) and prevented by reserved concurrency 1 (cdk/).
 */
import pkg from '../../package.json' with { type: 'json' };
import { parseClaimsJson } from '../engine/entry.js';
import { loadConfig } from '../kernel/config.js';
import { createLogger } from '../kernel/logger.js';
import { advanceCollections, type CollectRunSummary } from '../vendors/carbon_black/collect/runner.js';
import { collectSettingsFrom } from '../vendors/carbon_black/collect/settings.js';
import { createSecretReader, type SecretFetcher } from './secret-key.js';

export interface CollectHandlerDeps {
  readonly env: Record<string, string | undefined>;
  readonly readSecret?: SecretFetcher;
}

const MARGIN_MS = 5_000;
/** How long the cached claims secret is trusted (as the engine's): rotations take effect within minutes. */
const SECRET_TTL_MS = 5 * 60_000;

export function createCollectHandler(deps: CollectHandlerDeps) {
  const readSecret = createSecretReader(deps.readSecret, { ttlMs: SECRET_TTL_MS });
  return async (
    _event?: unknown,
    context?: { getRemainingTimeInMillis?: () => number },
  ): Promise<CollectRunSummary> => {
    const env = deps.env;
    const config = loadConfig(env, pkg.version);
    if (config.allowLoopbackUpstreams && env.AWS_LAMBDA_FUNCTION_NAME) {
      throw new Error(
        'ALLOW_LOOPBACK_UPSTREAMS is for the local sandbox and tests; unset it in a deployed function',
      );
    }
    const log = createLogger(config.logLevel, 'vectra-xdr-relay-collect');
    const settings = collectSettingsFrom(env);
    if (!settings) throw new Error('COLLECT_BUCKET is not set');
    const secretId = env.ENGINE_SECRET_ARN?.trim();
    if (!secretId) throw new Error('ENGINE_SECRET_ARN is not set');
    const claims = parseClaimsJson(await readSecret(secretId), 'The engine secret');
    if ('_placeholder' in claims) {
      return {
        active: 0,
        ended: [],
        skipped: `the engine secret ${secretId} still holds the stack's placeholder`,
      };
    }
    const remaining = context?.getRemainingTimeInMillis?.();
    const summary = await advanceCollections({
      claims,
      config,
      log,
      settings,
      ...(remaining === undefined ? {} : { deadlineMs: Math.max(1_000, remaining - MARGIN_MS) }),
    });
    if (summary.ended.length > 0 || summary.active > 0) log.info('collection run', { ...summary });
    return summary;
  };
}

export const handler = createCollectHandler({ env: process.env });
