/** Builds a `RequestContext` for vendor tests: defaults plus overrides, a silent logger. */
import { CacheRegistry } from '../../src/kernel/caches.js';
import { makeConfig, type RelayConfig } from '../../src/kernel/config.js';
import type { Claims, RequestContext } from '../../src/kernel/context.js';
import { createLogger } from '../../src/kernel/logger.js';

export function makeContext(
  overrides: Partial<Omit<RequestContext, 'config'>> & { config?: Partial<RelayConfig> } = {},
): RequestContext {
  const config = makeConfig({ allowLoopbackUpstreams: true, ...overrides.config });
  const deadline = overrides.deadline ?? Date.now() + config.requestDeadlineMs;
  return {
    // Each context its own caches unless a test shares one: nothing to reset between tests.
    caches: new CacheRegistry(),
    claims: {} as Claims,
    entitiesLimit: 100,
    signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    log: createLogger('SILENT'),
    moduleInstanceId: undefined,
    ...overrides,
    config,
    deadline,
  };
}
