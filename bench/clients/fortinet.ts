/**
 * `fortinet` against the fake FortiGate at 20 ms per call: calls used and
 * wall time to block 1 host, 50 static destinations (one batch), and to
 * block the same 50 again (idempotent: reads only). Figures, never asserted.
 */
import { startFakeFortiGate } from '../../src/sandbox/fortinet/index.js';
import { createBlockClient } from '../../src/vendors/block-clients.js';
import { benchContext, benchHost, IPS_50, LATENCY_MS, timed } from './context.js';

export async function benchFortinet(): Promise<Record<string, string | number>> {
  const fgt = await startFakeFortiGate({ latencyMs: LATENCY_MS });
  try {
    const ctx = benchContext({
      block_clients: 'fortinet',
      fortinet_url: fgt.url,
      fortinet_api_key: fgt.apiKey,
    });
    const client = createBlockClient('fortinet', ctx);
    const one = await timed(() => client.blockHost(benchHost('198.51.100.7')));
    const oneCalls = fgt.calls.length;
    fgt.clearCalls();
    const fifty = await timed(() => client.blockStaticDstIps({ kind: 'static-ips', dstIps: IPS_50 }));
    const fiftyCalls = fgt.calls.length;
    fgt.clearCalls();
    const again = await timed(() => client.blockStaticDstIps({ kind: 'static-ips', dstIps: IPS_50 }));
    return {
      'block 1 host (first, placeholder included)': `${oneCalls} calls, ${one.ms} ms`,
      'block 50 static IPs (one batch)': `${fiftyCalls} calls, ${fifty.ms} ms`,
      'block the same 50 again': `${fgt.calls.length} calls, ${again.ms} ms`,
    };
  } finally {
    await fgt.close();
  }
}
