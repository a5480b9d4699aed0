/**
 * `fortinet` against the fake FortiGate (20 ms per call): the shared measure
 * (1 address cold, then a detection of 50 in one batch), plus the same 50
 * again (idempotent: the two reads only). Figures, never asserted.
 */
import { startFakeFortiGate } from '../../src/sandbox/fortinet/index.js';
import { createBlockClient } from '../../src/vendors/block-clients.js';
import { context, LATENCY_MS, measure } from './measure.js';

export async function benchFortinet(): Promise<Record<string, string | number>> {
  const fake = await startFakeFortiGate({ latencyMs: LATENCY_MS });
  try {
    const claims = { block_clients: 'fortinet', fortinet_url: fake.url, fortinet_api_key: fake.apiKey };
    const figures = await measure('fortinet', claims, () => fake.calls.length);
    const ips = Array.from({ length: 50 }, (_, i) => `203.0.113.${i + 1}`);
    const client = createBlockClient('fortinet', context(claims));
    const before = fake.calls.length;
    const t = performance.now();
    await client.blockStaticDstIps({ kind: 'static-ips', dstIps: ips });
    return {
      ...figures,
      'the same 50 again: calls': fake.calls.length - before,
      'the same 50 again: ms': Math.round(performance.now() - t),
    };
  } finally {
    await fake.close();
  }
}
