/** The fake PAN-OS firewall as the `pan` block client's fake. */
import type { FakeDeclaration } from '../fake.js';
import { startFakePan } from './server.js';

export { type FakePan, type FakePanOptions, type PanCall, startFakePan } from './server.js';

export const panFake: FakeDeclaration = {
  module: 'pan',
  async start(opts = {}) {
    const pan = await startFakePan({ port: opts.port ?? 0, latencyMs: opts.latencyMs ?? 0 });
    return {
      url: pan.url,
      claims: { pan_url: pan.url, pan_api_key: pan.apiKey },
      snapshot: () => pan.snapshot(),
      close: () => pan.close(),
    };
  },
};
