/**
 * The fake FortiManager as the `fortimanager` block client's fake: ADOM
 * `root` (no workspace mode), package `vectra_policy` installed to one
 * managed FortiGate, VAR-style `Internal-Block` / `External-Block` groups
 * with an administrator's member each. Installs finish by the client's
 * first look unless `jobMs` is given (then they run that long, and blocks
 * answer pending until `settle()` or the time passes).
 */
import type { FakeDeclaration } from '../fake.js';
import { snapshotOf, startFakeFortiManager } from './server.js';

export { C as FMG_CODES, FmgState, RpcError } from './model.js';
export { type FakeFortiManager, type FmgCall, SEED, snapshotOf, startFakeFortiManager } from './server.js';

export const fortimanagerFake: FakeDeclaration = {
  module: 'fortimanager',
  async start(opts = {}) {
    const fmg = await startFakeFortiManager({
      port: opts.port ?? 0,
      latencyMs: opts.latencyMs ?? 0,
      jobMs: opts.jobMs ?? 0,
    });
    return {
      url: fmg.url,
      claims: {
        fortimanager_url: fmg.url,
        fortimanager_api_key: fmg.apiKey,
        fortimanager_package: 'vectra_policy',
      },
      // The ADOM database: what the client changes, synchronously. What the devices hold follows
      // by installs that may still run when a call returns (an unblock does not wait for its
      // install), so it is left out here; `snapshotOf(state)` has both.
      snapshot: () => (snapshotOf(fmg.state) as { adoms: unknown }).adoms,
      settle: () => fmg.settle(),
      close: () => fmg.close(),
    };
  },
};
