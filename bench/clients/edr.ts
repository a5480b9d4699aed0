/**
 * Shared runner for the EDR block-client benchmarks: start the client's
 * registered fake with N endpoints and 20 ms per call, block 1 host and then
 * 50 (one request context per host, as the engine gives each its own call),
 * count the upstream calls and time it. Prints nothing.
 */

import { CacheRegistry } from '../../src/kernel/caches.js';
import { makeConfig } from '../../src/kernel/config.js';
import type { RequestContext } from '../../src/kernel/context.js';
import { RelayError } from '../../src/kernel/errors.js';
import { createLogger } from '../../src/kernel/logger.js';
import type { VectraHost } from '../../src/kernel/model.js';
import { closeUpstreamPools } from '../../src/kernel/upstream/transport.js';
import { type BlockClientId, createBlockClient } from '../../src/vendors/block-clients.js';

const LATENCY_MS = 20;
export const HOSTS = Array.from({ length: 51 }, (_, i) => ({
  name: `bench-${i}`,
  ip: `10.99.${Math.floor(i / 250)}.${(i % 250) + 1}`,
}));

/** One registry for the run, as a runtime keeps: tokens and pacers are shared by its calls. */
const caches = new CacheRegistry();

function context(claims: Record<string, string>): RequestContext {
  const deadline = Date.now() + 20_000;
  return {
    caches,
    config: makeConfig({ allowLoopbackUpstreams: true }),
    claims,
    entitiesLimit: 100,
    signal: AbortSignal.timeout(20_000),
    deadline,
    log: createLogger('SILENT'),
    moduleInstanceId: undefined,
  };
}

const host = (i: number): VectraHost =>
  ({
    kind: 'host',
    id: i + 1,
    name: HOSTS[i]?.name,
    fullName: HOSTS[i]?.name,
    ip: HOSTS[i]?.ip,
    artifacts: [],
    macAddresses: [],
    blockedElements: {},
    pendingElements: {},
    allTags: [],
    tags: [],
    clientRestrictions: [],
    threat: 80,
    certainty: 80,
  }) as unknown as VectraHost;

export interface BenchFake {
  readonly claims: Record<string, string>;
  /** Upstream calls so far. */
  calls(): number;
  close(): Promise<void>;
}

export async function benchEdr(
  module: BlockClientId,
  start: (hosts: typeof HOSTS, latencyMs: number) => Promise<BenchFake>,
): Promise<Record<string, string | number>> {
  const running = await start(HOSTS, LATENCY_MS);
  const claims = { block_clients: module, ...running.claims };
  const calls = () => running.calls();
  try {
    const before1 = calls();
    const t1 = performance.now();
    await createBlockClient(module, context(claims)).blockHost(host(0));
    const one = { ms: Math.round(performance.now() - t1), calls: calls() - before1 };
    const before50 = calls();
    const t50 = performance.now();
    let blocked = 0;
    let paced = 0;
    // Sequential, like one engine batch working through its hosts.
    for (let i = 1; i <= 50; i++) {
      try {
        await createBlockClient(module, context(claims)).blockHost(host(i));
        blocked++;
      } catch (err) {
        if (err instanceof RelayError && err.code === 'too many requests') paced++;
        else throw err;
      }
    }
    return {
      'block 1 host: time (ms)': one.ms,
      'block 1 host: upstream calls (token included)': one.calls,
      'block 50 hosts: time (ms)': Math.round(performance.now() - t50),
      'block 50 hosts: upstream calls': calls() - before50,
      'block 50 hosts: blocked (pending)': blocked,
      'block 50 hosts: refused by pacing (too many requests)': paced,
    };
  } finally {
    caches.close();
    await closeUpstreamPools();
    await running.close();
  }
}
