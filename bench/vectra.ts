/**
 * Vectra observe fan-out against the fake brain with 50 ms injected latency
 * per call: total time for 1, 10, 50 and 100 ip observables, next to what a
 * serial relay costs (N × 50 ms × calls per observable) and the ideal under
 * the configured concurrency bound (ceil(N / bound) × 50 ms × calls).
 */
import { makeConfig } from '../src/kernel/config.js';
import { createLogger } from '../src/kernel/logger.js';
import { closeUpstreamPools } from '../src/kernel/upstream/transport.js';
import { seedSandboxScenario, startFakeBrain } from '../src/sandbox/vectra-brain/index.js';
import { clearTokenCache } from '../src/vendors/vectra/auth.js';
import { parseVectraConfig } from '../src/vendors/vectra/config.js';
import { observeVectra } from '../src/vendors/vectra/observe.js';
import { round } from './stats.js';

const LATENCY_MS = 50;
/** ip observables ask for hosts by last_source, detections by src_ip, and detections by destination. */
const CALLS_PER_IP = 3;

export async function benchVectra(): Promise<Record<string, string | number>> {
  const config = makeConfig({ allowLoopbackUpstreams: true, logLevel: 'SILENT', upstreamTimeoutMs: 10_000 });
  const brain = await startFakeBrain();
  seedSandboxScenario(brain);
  const cfg = parseVectraConfig({ vectra_url: brain.url, vectra_token: brain.apiToken }, config);
  if (!cfg) throw new Error('Vectra bench: configuration failed');
  const ctx = () => {
    const deadline = Date.now() + 60_000;
    return {
      config,
      claims: {},
      entitiesLimit: 100,
      signal: AbortSignal.timeout(60_000),
      deadline,
      log: createLogger('SILENT'),
      moduleInstanceId: undefined,
    };
  };
  const ips = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      type: 'ip',
      value: `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    }));
  const bound = config.upstreamConcurrency;
  const out: Record<string, string | number> = {
    'vectra.latency_ms_per_call': LATENCY_MS,
    'vectra.calls_per_ip_observable': CALLS_PER_IP,
    'vectra.concurrency_bound': bound,
  };
  try {
    brain.setLatency(LATENCY_MS);
    await observeVectra(cfg, ips(bound), ctx()); // warm the keep-alive pool
    for (const n of [1, 10, 50, 100]) {
      const started = performance.now();
      const result = await observeVectra(cfg, ips(n), ctx());
      const total = performance.now() - started;
      if (result.errors.length) throw new Error(`Vectra bench: ${result.errors.length} errors at N=${n}`);
      const ideal = Math.ceil(n / bound) * LATENCY_MS * CALLS_PER_IP;
      out[`vectra.observe_${n}.total_ms`] = round(total, 1);
      out[`vectra.observe_${n}.serial_ms`] = n * LATENCY_MS * CALLS_PER_IP;
      out[`vectra.observe_${n}.ideal_ms`] = ideal;
      out[`vectra.observe_${n}.vs_ideal`] = `${round((total / ideal) * 100, 1)}%`;
    }
  } finally {
    await brain.close();
    await closeUpstreamPools();
    clearTokenCache();
  }
  return out;
}
