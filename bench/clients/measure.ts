/**
 * Shared measure for firewall block-client benchmarks: against a fake with
 * 20 ms per call, one host block (1 address, cold process caches) and then
 * one detection block of 50 addresses, each with the calls it used and its
 * wall time.
 */
import { makeConfig } from '../../src/kernel/config.js';
import type { RequestContext } from '../../src/kernel/context.js';
import { createLogger } from '../../src/kernel/logger.js';
import type { VectraDetection } from '../../src/kernel/model.js';
import { type BlockClientId, createBlockClient } from '../../src/vendors/block-clients.js';
import { makeHost } from '../../test/helpers/objects.js';

export const LATENCY_MS = 20;

export function context(claims: Record<string, string>): RequestContext {
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

export async function measure(
  id: BlockClientId,
  claims: Record<string, string>,
  calls: () => number,
): Promise<Record<string, string | number>> {
  const client = createBlockClient(id, context(claims));
  let t = performance.now();
  let before = calls();
  await client.blockHost(makeHost({ ip: '10.99.0.1' }));
  const one = { calls: calls() - before, ms: Math.round(performance.now() - t) };
  const ips = Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 1}`);
  t = performance.now();
  before = calls();
  await client.blockDetection({
    kind: 'detection',
    id: 1,
    dstIps: ips,
    blockedElements: {},
  } as unknown as VectraDetection);
  const fifty = { calls: calls() - before, ms: Math.round(performance.now() - t) };
  return {
    'block 1 address (cold): calls': one.calls,
    'block 1 address (cold): ms': one.ms,
    'block 50 addresses: calls': fifty.calls,
    'block 50 addresses: ms': fifty.ms,
  };
}
