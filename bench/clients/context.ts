/** A quiet request context for block-client benchmarks (loopback fakes only). */
import { makeConfig } from '../../src/kernel/config.js';
import type { RequestContext } from '../../src/kernel/context.js';
import { createLogger } from '../../src/kernel/logger.js';
import type { VectraHost } from '../../src/kernel/model.js';

export const LATENCY_MS = 20;
export const IPS_50 = Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 10}`);

export function benchContext(claims: Record<string, string>): RequestContext {
  return {
    config: makeConfig({ allowLoopbackUpstreams: true }),
    claims,
    entitiesLimit: 100,
    signal: AbortSignal.timeout(120_000),
    deadline: Date.now() + 120_000,
    log: createLogger('SILENT'),
    moduleInstanceId: undefined,
  };
}

export const benchHost = (ip: string): VectraHost =>
  ({
    kind: 'host',
    id: 1,
    name: 'bench',
    ip,
    blockedElements: {},
    pendingElements: {},
    allTags: [],
    tags: [],
    clientRestrictions: [],
  }) as unknown as VectraHost;

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: Math.round(performance.now() - t), value };
}
