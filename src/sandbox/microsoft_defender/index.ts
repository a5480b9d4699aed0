/**
 * The `microsoft_defender` block client's fake: one tenant whose machines are
 * the given seed hosts (Windows 11), plus two of someone else's — a macOS
 * laptop (isolation refused by OS) and a server an analyst already isolated.
 */
import type { FakeDeclaration } from '../fake.js';
import { makeMachine } from './model.js';
import { FAKE_CLIENT_ID, FAKE_SECRET, FAKE_TENANT, startFakeDefender } from './server.js';

export { machineIdFor, makeMachine } from './model.js';
export { FAKE_CLIENT_ID, FAKE_SECRET, FAKE_TENANT, type FakeDefender, startFakeDefender } from './server.js';

export const defenderFake: FakeDeclaration = {
  module: 'microsoft_defender',
  async start(opts = {}) {
    const fake = await startFakeDefender({
      port: opts.port ?? 0,
      latencyMs: opts.latencyMs ?? 0,
      jobMs: opts.jobMs ?? 3_000,
    });
    for (const h of opts.hosts ?? []) {
      fake.store.add(makeMachine({ computerDnsName: h.name.toLowerCase(), lastIpAddress: h.ip }));
    }
    fake.store.add(
      makeMachine({
        computerDnsName: 'mac-design-3',
        lastIpAddress: '10.20.50.3',
        osPlatform: 'macOS',
        version: '14.5',
      }),
    );
    const legacy = fake.store.add(
      makeMachine({
        computerDnsName: 'srv-legacy-9',
        lastIpAddress: '10.20.1.9',
        osPlatform: 'Windows10',
        version: '22H2',
      }),
    );
    fake.store.seedAction(legacy.id, 'Isolate', 'analyst@corp.example', 'Ransomware triage, ticket 4711');
    return {
      url: fake.url,
      claims: {
        microsoft_defender_tenant_id: FAKE_TENANT,
        microsoft_defender_client_id: FAKE_CLIENT_ID,
        microsoft_defender_client_secret: FAKE_SECRET,
        microsoft_defender_api_url: fake.url,
        microsoft_defender_login_url: fake.url,
      },
      snapshot: () => {
        fake.store.tick();
        return {
          machines: [...fake.store.machines.values()].map((m) => ({
            name: m.computerDnsName,
            isolated: m.isolated,
            restricted: m.restricted,
          })),
          indicators: [...fake.store.indicators.values()].map((i) => ({
            value: i.indicatorValue,
            action: i.action,
          })),
        };
      },
      settle: () => fake.settle(),
      close: () => fake.close(),
    };
  },
};
