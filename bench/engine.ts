/**
 * Engine benchmark: one run of the automated response loop over a fake brain
 * holding 10,000 hosts (listed in pages), with 20 ms of latency on every API
 * call. Reports the dry-run planning time, a real run's time (block and
 * unblock through the test client, tags and notes written) and a steady-state
 * run's (nothing changed since: the run reconciles every blocked, still
 * matching host with the client and must write nothing). Block client calls
 * are counted (the test client is in process: they cost no API call). Target:
 * a run in under 10 s. Prints nothing; `bench/run.ts` prints the figures.
 */
import { parsePolicy, runEngine } from '../src/engine/index.js';
import { memoryStaticIpStore } from '../src/engine/static-ips.js';
import type { BlockClient } from '../src/kernel/block-client.js';
import { makeConfig } from '../src/kernel/config.js';
import { createLogger } from '../src/kernel/logger.js';
import { closeUpstreamPools } from '../src/kernel/upstream/transport.js';
import { startFakeBrain } from '../src/sandbox/vectra-brain/index.js';
import { createTestClient } from '../src/vendors/test-client/actions.js';
import { elementIdFor } from '../src/vendors/test-client/client.js';
import { VectraClient } from '../src/vendors/vectra/client.js';
import { parseVectraConfig } from '../src/vendors/vectra/config.js';
import { vectraPort } from '../src/vendors/vectra/var-port.js';

const HOSTS = 10_000;
const LATENCY_MS = 20;

export async function benchEngine(): Promise<Record<string, string | number>> {
  const brain = await startFakeBrain();
  try {
    const noBlock: number[] = [];
    const group: number[] = [];
    for (let i = 0; i < HOSTS; i++) {
      const tags: string[] = [];
      if (i % 200 === 0) tags.push('vectra_host_block'); // 50 tagged
      if (i % 250 === 1) tags.push('VAR Host Blocked', `VAR ID:Test Client:${elementIdFor('host', i + 1)}`); // 40 stale
      const high = i % 500 === 2; // 20 scored 100/100
      const h = brain.addHost({
        name: `h${i}`,
        ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
        tags,
        ...(high ? { threat: 100, certainty: 100 } : {}),
      });
      if (i % 1000 === 3) noBlock.push(h.id as number);
      if (i % 400 === 4) group.push(h.id as number); // 25 in the Block group
      if (i % 100 === 5)
        brain.addDetection({ type: 'Hidden DNS Tunnel', category: 'EXFILTRATION', hostId: h.id as number });
    }
    brain.addGroup({ name: 'NoBlock', type: 'host', members: noBlock });
    brain.addGroup({ name: 'Block', type: 'host', members: group });
    brain.setLatency(LATENCY_MS);

    const claims = { vectra_url: brain.url, vectra_api_version: 'v2.5', vectra_token: brain.apiToken };
    const config = makeConfig({ allowLoopbackUpstreams: true, logLevel: 'SILENT' });
    const log = createLogger('SILENT');
    const policy = parsePolicy({
      MAX_NEW_BLOCKS_PER_RUN: 500,
      BLOCK_HOST_DETECTION_TYPES: ['Hidden DNS Tunnel'],
      BLOCK_HOST_DETECTION_TYPES_MIN_TC_SCORE: [0, 'or', 0],
    });
    const inner = createTestClient();
    let blockCalls = 0;
    const client: BlockClient = {
      ...inner,
      blockHost: (host) => {
        blockCalls++;
        return inner.blockHost(host);
      },
    };
    const writes = () => brain.requests.filter((r) => r.method !== 'GET').length;
    const run = async (dryRun: boolean) => {
      const ctx = {
        config,
        claims,
        entitiesLimit: 100,
        signal: AbortSignal.timeout(60_000),
        deadline: Date.now() + 60_000,
        log,
        moduleInstanceId: undefined,
      };
      const cfg = parseVectraConfig(claims, config);
      if (!cfg) throw new Error('no config');
      const port = vectraPort(new VectraClient(cfg, ctx));
      const started = performance.now();
      const before = brain.requests.length;
      const writesBefore = writes();
      const callsBefore = blockCalls;
      const report = await runEngine({
        port,
        clients: [client],
        policy,
        staticIps: memoryStaticIpStore(),
        log,
        dryRun,
        concurrency: config.upstreamConcurrency,
      });
      return {
        ms: Math.round(performance.now() - started),
        calls: brain.requests.length - before,
        writes: writes() - writesBefore,
        blockCalls: blockCalls - callsBefore,
        report,
      };
    };
    const plan = await run(true);
    const apply = await run(false);
    const steady = await run(false);
    const counts = apply.report.summary.counts.hosts ?? {};
    return {
      hosts: HOSTS,
      'latency per call (ms)': LATENCY_MS,
      'dry run (ms)': plan.ms,
      'dry run API calls': plan.calls,
      'real run (ms)': apply.ms,
      'real run API calls': apply.calls,
      'real run host block client calls': apply.blockCalls,
      'steady run (ms)': steady.ms,
      'steady run API calls / writes': `${steady.calls} / ${steady.writes}`,
      'steady run host block client calls': steady.blockCalls,
      'hosts blocked / unblocked': `${counts.toBlock ?? 0} / ${counts.toUnblock ?? 0}`,
      'detections blocked': apply.report.summary.counts.detections?.toBlock ?? 0,
      'run errors': apply.report.summary.errors.length + steady.report.summary.errors.length,
      'under 10 s': Math.max(plan.ms, apply.ms, steady.ms) < 10_000 ? 'yes' : 'no',
    };
  } finally {
    await brain.close();
    await closeUpstreamPools();
  }
}
