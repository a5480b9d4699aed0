/** `crowdstrike`: containment requests against the fake Falcon CID at 20 ms per call (see edr.ts). */
import {
  FAKE_FALCON_CLIENT_ID,
  FAKE_FALCON_SECRET,
  makeDevice,
  startFakeFalcon,
} from '../../src/sandbox/crowdstrike/index.js';
import { benchEdr } from './edr.js';

export const benchCrowdStrike = () =>
  benchEdr('crowdstrike', async (hosts, latencyMs) => {
    const fake = await startFakeFalcon({ latencyMs, jobMs: 600_000 });
    for (const h of hosts) fake.store.add(makeDevice({ hostname: h.name, local_ip: h.ip }));
    return {
      claims: {
        crowdstrike_client_id: FAKE_FALCON_CLIENT_ID,
        crowdstrike_client_secret: FAKE_FALCON_SECRET,
        crowdstrike_api_url: fake.url,
      },
      calls: () => fake.calls.length,
      close: () => fake.close(),
    };
  });
