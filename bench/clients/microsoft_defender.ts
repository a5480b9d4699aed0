/** `microsoft_defender`: isolation requests against the fake tenant at 20 ms per call (see edr.ts). */
import {
  FAKE_CLIENT_ID,
  FAKE_SECRET,
  FAKE_TENANT,
  makeMachine,
  startFakeDefender,
} from '../../src/sandbox/microsoft_defender/index.js';
import { benchEdr } from './edr.js';

export const benchDefender = () =>
  benchEdr('microsoft_defender', async (hosts, latencyMs) => {
    const fake = await startFakeDefender({ latencyMs, jobMs: 600_000 });
    for (const h of hosts) fake.store.add(makeMachine({ computerDnsName: h.name, lastIpAddress: h.ip }));
    return {
      claims: {
        microsoft_defender_tenant_id: FAKE_TENANT,
        microsoft_defender_client_id: FAKE_CLIENT_ID,
        microsoft_defender_client_secret: FAKE_SECRET,
        microsoft_defender_api_url: fake.url,
        microsoft_defender_login_url: fake.url,
      },
      calls: () => fake.calls.length,
      close: () => fake.close(),
    };
  });
