/**
 * The `carbon_black` block client's fake: one device per sandbox host, plus
 * devices that are not ours to touch (a device an administrator quarantined,
 * a deregistered sensor that once had a host's IP, an offline laptop).
 */
import type { FakeDeclaration, SeedHost } from '../fake.js';
import { type FakeCarbonBlack, startFakeCarbonBlack } from './server.js';

export { type CbCall, type FakeCarbonBlack, type FakeCbOptions, startFakeCarbonBlack } from './server.js';

/** Hosts seeded when the caller names none: the sandbox's and the contract suite's. */
export const DEFAULT_HOSTS: readonly SeedHost[] = [
  { name: 'wks-fin-042', ip: '10.20.30.42' },
  { name: 'wks-contract', ip: '198.51.100.42' },
];

/** Devices of the seed that the relay must never change. */
export function seedDevices(cb: FakeCarbonBlack, hosts: readonly SeedHost[] = DEFAULT_HOSTS): void {
  for (const [i, h] of hosts.entries()) {
    cb.addDevice({
      id: 1001 + i,
      name: h.name.toUpperCase(),
      last_internal_ip_address: h.ip,
      os: 'WINDOWS',
      status: 'REGISTERED',
      quarantined: false,
      online: true,
    });
  }
  cb.addDevice({
    id: 9001,
    name: 'KIOSK-LOBBY-01',
    last_internal_ip_address: '10.99.0.5',
    os: 'WINDOWS',
    status: 'REGISTERED',
    quarantined: true,
    online: true,
  });
  cb.addDevice({
    id: 9002,
    name: (hosts[0]?.name ?? 'old-laptop').toUpperCase(),
    last_internal_ip_address: hosts[0]?.ip ?? '10.99.0.6',
    os: 'WINDOWS',
    status: 'DEREGISTERED',
    quarantined: false,
    online: false,
  });
  cb.addDevice({
    id: 9003,
    name: 'LAPTOP-TRAVEL-07',
    last_internal_ip_address: '10.99.0.7',
    os: 'WINDOWS',
    status: 'REGISTERED',
    quarantined: false,
    online: false,
  });
}

export const carbonBlackFake: FakeDeclaration = {
  module: 'carbon_black',
  async start(opts = {}) {
    const cb = await startFakeCarbonBlack({
      port: opts.port ?? 0,
      latencyMs: opts.latencyMs ?? 0,
      ...(opts.jobMs === undefined ? {} : { jobMs: opts.jobMs }),
    });
    seedDevices(cb, opts.hosts && opts.hosts.length > 0 ? opts.hosts : DEFAULT_HOSTS);
    return {
      url: cb.url,
      claims: {
        carbon_black_url: cb.url,
        carbon_black_org_key: cb.orgKey,
        carbon_black_api_id: cb.apiId,
        carbon_black_api_secret: cb.apiSecret,
      },
      snapshot: () => cb.snapshot(),
      settle: () => cb.settle(),
      close: () => cb.close(),
    };
  },
};
