/**
 * Vectra observe against the fake brain with 50 ms injected latency per call:
 * total time and number of brain calls for 1, 10, 50 and 100 ip observables,
 * on v2.5 (the ip observables of a request share a few `/search` calls,
 * `src/vendors/vectra/batch.ts`) and on v3 (no search: three calls per
 * observable under the concurrency bound), next to a serial relay's time.
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
/** Per ip observable without batching: hosts by last_source, detections by source, by destination. */
const CALLS_PER_IP = 3;

export async function benchVectra(): Promise<Record<string, string | number>> {
  const config = makeConfig({ allowLoopbackUpstreams: true, logLevel: 'SILENT', upstreamTimeoutMs: 10_000 });
  const brain = await startFakeBrain();
  seedSandboxScenario(brain);
  const [clientId = '', secret = ''] = Object.entries(brain.clients)[0] ?? [];
  const configs = {
    'v2.5': parseVectraConfig(
      { vectra_url: brain.url, vectra_token: brain.apiToken, vectra_api_version: 'v2.5' },
      config,
    ),
    v3: parseVectraConfig(
      {
        vectra_url: brain.url,
        vectra_api_version: 'v3',
        vectra_client_id: clientId,
        vectra_client_secret: secret,
      },
      config,
    ),
  };
  const ctx = () => ({
    config,
    claims: {},
    entitiesLimit: 100,
    signal: AbortSignal.timeout(60_000),
    deadline: Date.now() + 60_000,
    log: createLogger('SILENT'),
    moduleInstanceId: undefined,
  });
  // The first observable is the sandbox workstation (a host and detections), the rest unknown.
  const ips = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      type: 'ip',
      value: i === 0 ? '10.20.30.42' : `10.99.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    }));
  const bound = config.upstreamConcurrency;
  const out: Record<string, string | number> = {
    'latency per brain call ms': LATENCY_MS,
    'concurrency bound': bound,
  };
  try {
    brain.setLatency(LATENCY_MS);
    for (const [flavour, cfg] of Object.entries(configs)) {
      if (!cfg) throw new Error(`Vectra bench: ${flavour} configuration failed`);
      await observeVectra(cfg, ips(bound), ctx()); // warm the keep-alive pool and the OAuth token
      for (const n of [1, 10, 50, 100]) {
        const from = brain.requests.length;
        const started = performance.now();
        const result = await observeVectra(cfg, ips(n), ctx());
        const total = performance.now() - started;
        if (result.errors.length) throw new Error(`Vectra bench: ${result.errors.length} errors at N=${n}`);
        const calls = brain.requests.slice(from).filter((r) => !r.path.endsWith('/oauth2/token')).length;
        out[`${flavour} observe ${n} ip: ms / brain calls`] = `${round(total, 1)} / ${calls}`;
      }
    }
    for (const n of [1, 10, 50, 100]) out[`serial relay, ${n} ip ms`] = n * LATENCY_MS * CALLS_PER_IP;
  } finally {
    await brain.close();
    await closeUpstreamPools();
    clearTokenCache();
  }
  return out;
}
