/**
 * Carbon Black quarantine against the fake (loopback only, 20 ms per call):
 * blocks of 1 host and of 50 hosts (50 devices), each host one device search
 * and one device action, concurrency bounded by the transport
 * (`UPSTREAM_CONCURRENCY`, default 8). Figures: calls used and wall time.
 * Unblocking the 50 is one device read per device and one action per host.
 */
import { makeConfig } from '../../src/kernel/config.js';
import { createLogger } from '../../src/kernel/logger.js';
import { closeUpstreamPools } from '../../src/kernel/upstream/transport.js';
import { seedDevices, startFakeCarbonBlack } from '../../src/sandbox/carbon_black/index.js';
import { createBlockClient } from '../../src/vendors/block-clients.js';
import { CARBON_BLACK_CLIENT_NAME } from '../../src/vendors/carbon_black/index.js';
import { makeHost } from '../../test/helpers/objects.js';

const LATENCY_MS = 20;

export async function benchCarbonBlack(): Promise<Record<string, string | number>> {
  const hosts = Array.from({ length: 50 }, (_, i) => ({ name: `wks-bench-${i}`, ip: `10.77.0.${i + 1}` }));
  const fake = await startFakeCarbonBlack({ latencyMs: LATENCY_MS, jobMs: 60_000 });
  seedDevices(fake, hosts);
  const claims = {
    block_clients: 'carbon_black',
    carbon_black_url: fake.url,
    carbon_black_org_key: fake.orgKey,
    carbon_black_api_id: fake.apiId,
    carbon_black_api_secret: fake.apiSecret,
  };
  const client = createBlockClient('carbon_black', {
    config: makeConfig({ allowLoopbackUpstreams: true }),
    claims,
    entitiesLimit: 100,
    signal: AbortSignal.timeout(120_000),
    deadline: Date.now() + 120_000,
    log: createLogger('SILENT'),
    moduleInstanceId: undefined,
  });
  const vectraHosts = hosts.map((h, i) => makeHost({ id: i + 1, name: h.name, ip: h.ip }));
  try {
    const t1 = performance.now();
    await client.blockHost(vectraHosts[0] as (typeof vectraHosts)[number]);
    const one = performance.now() - t1;
    const callsOne = fake.calls.length;
    fake.calls.length = 0;
    const t50 = performance.now();
    const answers = await Promise.all(vectraHosts.map((h) => client.blockHost(h)));
    const fifty = performance.now() - t50;
    const calls50 = fake.calls.length;
    fake.calls.length = 0;
    const tu = performance.now();
    await Promise.all(
      vectraHosts.map((h, i) =>
        client.unblockHost({
          ...h,
          pendingElements: { [CARBON_BLACK_CLIENT_NAME]: answers[i]?.pending.map((p) => p.id) ?? [] },
        }),
      ),
    );
    const unblock = performance.now() - tu;
    return {
      'block 1 host: calls': callsOne,
      'block 1 host: ms': Math.round(one),
      'block 50 hosts: calls': calls50,
      'block 50 hosts: ms': Math.round(fifty),
      'unblock 50 hosts: calls': fake.calls.length,
      'unblock 50 hosts: ms': Math.round(unblock),
    };
  } finally {
    await fake.close();
    await closeUpstreamPools();
  }
}
