/** The fake FMC as the `cisco_fmc` block client's fake. */
import type { FakeDeclaration } from '../fake.js';
import { startFakeFmc } from './server.js';

export { type FakeFmc, type FakeFmcOptions, GLOBAL_DOMAIN, LAB_DOMAIN, startFakeFmc } from './server.js';

export const ciscoFmcFake: FakeDeclaration = {
  module: 'cisco_fmc',
  async start(opts = {}) {
    const fmc = await startFakeFmc({
      port: opts.port ?? 0,
      latencyMs: opts.latencyMs ?? 0,
      ...(opts.jobMs === undefined ? {} : { jobMs: opts.jobMs }),
    });
    return {
      url: fmc.url,
      claims: { cisco_fmc_url: fmc.url, cisco_fmc_username: fmc.username, cisco_fmc_password: fmc.password },
      snapshot: () => fmc.snapshot(),
      settle: () => fmc.settle(),
      close: () => fmc.close(),
    };
  },
};
