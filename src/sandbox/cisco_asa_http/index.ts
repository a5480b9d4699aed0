/** The fake ASA HTTPS management interface as the `cisco_asa_http` block client's fake. */
import type { FakeDeclaration } from '../fake.js';
import { startFakeAsa } from './server.js';

export { type AsaCall, type FakeAsa, type FakeAsaOptions, startFakeAsa } from './server.js';

export const ciscoAsaHttpFake: FakeDeclaration = {
  module: 'cisco_asa_http',
  async start(opts = {}) {
    const asa = await startFakeAsa({ port: opts.port ?? 0, latencyMs: opts.latencyMs ?? 0 });
    return {
      url: asa.url,
      claims: {
        cisco_asa_http_url: asa.url,
        cisco_asa_http_username: asa.username,
        cisco_asa_http_password: asa.password,
        cisco_asa_http_group: asa.group,
      },
      snapshot: () => asa.snapshot(),
      close: () => asa.close(),
    };
  },
};
