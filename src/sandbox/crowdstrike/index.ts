/**
 * The `crowdstrike` block client's fake: one Falcon CID whose devices are the
 * given seed hosts (Windows), plus a Linux server someone else contained.
 */
import type { FakeDeclaration } from '../fake.js';
import { makeDevice } from './model.js';
import { FAKE_FALCON_CLIENT_ID, FAKE_FALCON_SECRET, startFakeFalcon } from './server.js';

export { deviceIdFor, makeDevice } from './model.js';
export { FAKE_FALCON_CLIENT_ID, FAKE_FALCON_SECRET, type FakeFalcon, startFakeFalcon } from './server.js';

export const falconFake: FakeDeclaration = {
  module: 'crowdstrike',
  async start(opts = {}) {
    const fake = await startFakeFalcon({
      port: opts.port ?? 0,
      latencyMs: opts.latencyMs ?? 0,
      jobMs: opts.jobMs ?? 3_000,
    });
    for (const h of opts.hosts ?? []) {
      fake.store.add(
        makeDevice({
          hostname: h.name,
          local_ip: h.ip,
          ...(h.mac ? { mac_address: h.mac.replace(/:/g, '-') } : {}),
        }),
      );
    }
    fake.store.add(
      makeDevice({
        hostname: 'srv-build-2',
        local_ip: '10.20.1.2',
        platform_name: 'Linux',
        status: 'contained',
      }),
    );
    return {
      url: fake.url,
      claims: {
        crowdstrike_client_id: FAKE_FALCON_CLIENT_ID,
        crowdstrike_client_secret: FAKE_FALCON_SECRET,
        crowdstrike_api_url: fake.url,
      },
      snapshot: () => {
        fake.store.tick();
        return [...fake.store.devices.values()].map((d) => ({
          hostname: d.hostname,
          status: d.status,
          tags: d.tags,
        }));
      },
      settle: () => fake.settle(),
      close: () => fake.close(),
    };
  },
};
