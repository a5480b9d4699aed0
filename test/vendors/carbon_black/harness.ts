/** A fake Carbon Black Cloud with the seed devices and the real client over the real transport. */
import type { BlockClient } from '../../../src/kernel/block-client.js';
import type { RelayConfig } from '../../../src/kernel/config.js';
import type { RequestContext } from '../../../src/kernel/context.js';
import { createLogger } from '../../../src/kernel/logger.js';
import type { VectraHost } from '../../../src/kernel/model.js';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import {
  type FakeCarbonBlack,
  type FakeCbOptions,
  seedDevices,
  startFakeCarbonBlack,
} from '../../../src/sandbox/carbon_black/index.js';
import { createBlockClient } from '../../../src/vendors/block-clients.js';
import { CARBON_BLACK_CLIENT_NAME } from '../../../src/vendors/carbon_black/index.js';
import { makeContext } from '../../helpers/context.js';
import { makeHost } from '../../helpers/objects.js';

export interface Harness {
  fake: FakeCarbonBlack;
  client: BlockClient;
  ctx: RequestContext;
  claims: Record<string, string>;
  /** Every line the client logged. */
  logs: string[];
  /** A fresh client (another request) on the same fake. */
  another(over?: Record<string, string>, config?: Partial<RelayConfig>): BlockClient;
}

/** The seed's host `wks-fin-042` (device 1001), optionally holding our elements. */
export const finHost = (
  held: { blocked?: string[]; pending?: string[] } = {},
  over: Partial<VectraHost> = {},
) =>
  makeHost({
    id: 42,
    name: 'wks-fin-042',
    ip: '10.20.30.42',
    blockedElements: held.blocked ? { [CARBON_BLACK_CLIENT_NAME]: held.blocked } : {},
    pendingElements: held.pending ? { [CARBON_BLACK_CLIENT_NAME]: held.pending } : {},
    ...over,
  });

export async function startHarness(opts: FakeCbOptions = {}): Promise<Harness> {
  // Long check-in by default: tests decide when the sensor checks in (`settle`).
  const fake = await startFakeCarbonBlack({ jobMs: 60_000, ...opts });
  seedDevices(fake);
  const claims = {
    block_clients: 'carbon_black',
    carbon_black_url: fake.url,
    carbon_black_org_key: fake.orgKey,
    carbon_black_api_id: fake.apiId,
    carbon_black_api_secret: fake.apiSecret,
  };
  const logs: string[] = [];
  const make = (over: Record<string, string> = {}, config: Partial<RelayConfig> = {}) => {
    const log = createLogger('DEBUG');
    const target = log as unknown as { console: Record<string, (...a: unknown[]) => void> };
    for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
      target.console[level] = (...a: unknown[]) => logs.push(a.map(String).join(' '));
    }
    const ctx = makeContext({ claims: { ...claims, ...over }, log, config });
    return { ctx, client: createBlockClient('carbon_black', ctx) };
  };
  const first = make();
  return { fake, claims, logs, ...first, another: (over, config) => make(over, config).client };
}

export async function stopHarness(h: Harness | undefined): Promise<void> {
  await h?.fake.close();
  await closeUpstreamPools();
}

/** The device-action calls the fake received, as `<toggle> <ids>`. */
export const actions = (h: Harness): string[] =>
  h.fake.calls
    .filter((c) => c.path === 'device_actions' && c.status === 204)
    .map((c) => {
      const b = c.body as { device_id: number[]; options: { toggle: string } };
      return `${b.options.toggle} ${b.device_id.join(',')}`;
    });

export const quarantined = (h: Harness, id: number): boolean | undefined =>
  h.fake.state.devices.get(id)?.quarantined;
