/**
 * `fortimanager` against the fake FortiManager at 20 ms per call, installs
 * finishing at once (`jobMs` 0): calls used and wall time to block 1 host
 * and 50 static destinations (one install for the batch), with an API key
 * and with a login session (+ login and logout). Figures, never asserted.
 */
import { startFakeFortiManager } from '../../src/sandbox/fortimanager/index.js';
import { createBlockClient } from '../../src/vendors/block-clients.js';
import { benchContext, benchHost, IPS_50, LATENCY_MS, timed } from './context.js';

async function run(workspace: boolean, login: boolean): Promise<[string, string]> {
  const fmg = await startFakeFortiManager({ latencyMs: LATENCY_MS, jobMs: 0, workspace });
  try {
    const auth: Record<string, string> = login
      ? { fortimanager_username: fmg.user, fortimanager_password: fmg.password }
      : { fortimanager_api_key: fmg.apiKey };
    const ctx = benchContext({
      block_clients: 'fortimanager',
      fortimanager_url: fmg.url,
      fortimanager_package: 'vectra_policy',
      ...auth,
    });
    const client = createBlockClient('fortimanager', ctx);
    const one = await timed(() => client.blockHost(benchHost('198.51.100.7')));
    const oneCalls = fmg.calls.length;
    fmg.clearCalls();
    const fifty = await timed(() => client.blockStaticDstIps({ kind: 'static-ips', dstIps: IPS_50 }));
    return [
      `${workspace ? 'workspace mode' : 'no workspace'}, ${login ? 'session login' : 'API key'}`,
      `block 1 host: ${oneCalls} calls, ${one.ms} ms; block 50 static IPs: ${fmg.calls.length} calls (1 install), ${fifty.ms} ms`,
    ];
  } finally {
    await fmg.close();
  }
}

export async function benchFortimanager(): Promise<Record<string, string | number>> {
  const out: Record<string, string> = {};
  for (const [ws, login] of [
    [false, false],
    [true, false],
    [true, true],
  ] as const) {
    const [k, v] = await run(ws, login);
    out[k] = v;
  }
  return out;
}
