/** A fake FortiManager and a `fortimanager` client pointed at it, with a recording log. */
import type { BlockClient } from '../../../src/kernel/block-client.js';
import type { IpGuard } from '../../../src/kernel/guard.js';
import type { FakeFortiManager } from '../../../src/sandbox/fortimanager/index.js';
import { SEED } from '../../../src/sandbox/fortimanager/index.js';
import { configureClient } from '../../../src/vendors/block-clients.js';
import { createFortiManagerClient } from '../../../src/vendors/fortimanager/actions.js';
import type { FortiManagerConfig } from '../../../src/vendors/fortimanager/index.js';
import { makeContext } from '../../helpers/context.js';
import { recordingLog } from '../fortinet/harness.js';

export { FORTIMANAGER_CLIENT_NAME as NAME } from '../../../src/vendors/fortimanager/index.js';
export { detection, heldByDetection, host, recordingLog } from '../fortinet/harness.js';

export function clientFor(
  fmg: FakeFortiManager,
  opts: { login?: boolean; extra?: Record<string, string>; unblockWaitMs?: number; guard?: IpGuard } = {},
): { client: BlockClient; lines: unknown[][] } {
  const auth: Record<string, string> = opts.login
    ? { fortimanager_username: fmg.user, fortimanager_password: fmg.password }
    : { fortimanager_api_key: fmg.apiKey };
  const claims = {
    block_clients: 'fortimanager',
    fortimanager_url: fmg.url,
    fortimanager_package: SEED.pkg,
    ...auth,
    ...opts.extra,
  };
  const { log, lines } = recordingLog();
  const ctx = makeContext({ claims, log, ...(opts.guard ? { guard: opts.guard } : {}) });
  const cfg = configureClient('fortimanager', claims, ctx.config) as FortiManagerConfig;
  return {
    client: createFortiManagerClient(cfg, ctx, {
      unblockWaitMs: opts.unblockWaitMs ?? 3000,
      staticWaitMs: 3000,
    }),
    lines,
  };
}

export const members = (
  fmg: FakeFortiManager,
  group: string,
  table: 'addrgrp' | 'addrgrp6' = 'addrgrp',
): string[] => [...((fmg.state.adom(SEED.adom).db[table].get(group)?.member as string[]) ?? [])];

/** Members of a group as last installed on the managed FortiGate. */
export const installed = (fmg: FakeFortiManager, group: string): string[] => [
  ...((fmg.state.devices.get(SEED.device)?.get('root')?.addrgrp.get(group)?.member as string[]) ?? []),
];

export const installs = (fmg: FakeFortiManager) =>
  fmg.calls.filter((c) => c.url === '/securityconsole/install/package');
export const writes = (fmg: FakeFortiManager) =>
  fmg.calls.filter((c) => ['add', 'delete', 'set', 'update'].includes(c.method));
