/**
 * The fake FortiGate as the `fortinet` block client's fake: one firewall,
 * VDOM `root`, VAR's `Internal-Block` / `External-Block` groups seeded with
 * an administrator's member each (FortiOS groups cannot be empty).
 */
import type { FakeDeclaration } from '../fake.js';
import { startFakeFortiGate } from './server.js';

export { E as FOS_ERRORS, FortiState, FosError } from './model.js';
export { type FakeFortiGate, type FortiCall, SEED, seedVdom, startFakeFortiGate } from './server.js';

export const fortinetFake: FakeDeclaration = {
  module: 'fortinet',
  async start(opts = {}) {
    const fgt = await startFakeFortiGate({ port: opts.port ?? 0, latencyMs: opts.latencyMs ?? 0 });
    return {
      url: fgt.url,
      claims: { fortinet_url: fgt.url, fortinet_api_key: fgt.apiKey },
      snapshot: () => fgt.state.toJSON(),
      close: () => fgt.close(),
    };
  },
};
