/** A fake Falcon CID and the real `crowdstrike` client (registry, transport) pointed at it. */
import type { BlockClient } from '../../../src/kernel/block-client.js';
import type { RequestContext } from '../../../src/kernel/context.js';
import type { VectraHost } from '../../../src/kernel/model.js';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import {
  FAKE_FALCON_CLIENT_ID,
  FAKE_FALCON_SECRET,
  type FakeFalcon,
  makeDevice,
  startFakeFalcon,
} from '../../../src/sandbox/crowdstrike/index.js';
import type { FakeDevice } from '../../../src/sandbox/crowdstrike/model.js';
import { createBlockClient } from '../../../src/vendors/block-clients.js';
import { CLIENT_NAME } from '../../../src/vendors/crowdstrike/config.js';
import { makeContext } from '../../helpers/context.js';
import { makeHost } from '../../helpers/objects.js';

export interface Harness {
  fake: FakeFalcon;
  ctx: RequestContext;
  client: BlockClient;
  wks: FakeDevice;
}

export async function startHarness(
  opts: { claims?: Record<string, string>; ctx?: Partial<RequestContext> } = {},
): Promise<Harness> {
  const fake = await startFakeFalcon({ jobMs: 600_000 });
  const wks = fake.store.add(
    makeDevice({ hostname: 'WKS-FIN-042', local_ip: '10.20.30.42', mac_address: '00-50-56-aa-bb-42' }),
  );
  const ctx = makeContext({
    claims: {
      block_clients: 'crowdstrike',
      crowdstrike_client_id: FAKE_FALCON_CLIENT_ID,
      crowdstrike_client_secret: FAKE_FALCON_SECRET,
      crowdstrike_api_url: fake.url,
      ...opts.claims,
    },
    ...opts.ctx,
  });
  return { fake, ctx, client: createBlockClient('crowdstrike', ctx), wks };
}

export async function stopHarness(h: Harness | undefined): Promise<void> {
  await closeUpstreamPools();
  await h?.fake.close();
}

export const vectraHost = (
  over: Partial<VectraHost> & { blocked?: string[]; pending?: string[] } = {},
): VectraHost => {
  const { blocked, pending, ...rest } = over;
  return makeHost({
    id: 42,
    name: 'wks-fin-042',
    ip: '10.20.30.42',
    ...(blocked ? { blockedElements: { [CLIENT_NAME]: blocked } } : {}),
    ...(pending ? { pendingElements: { [CLIENT_NAME]: pending } } : {}),
    ...rest,
  });
};

/** Writes made (token calls left out): `POST contain`, `PATCH tags add`… */
export const writes = (h: Harness) =>
  h.fake.calls
    .filter((c) => c.method !== 'GET' && c.path !== '/oauth2/token')
    .map((c) =>
      c.path.endsWith('devices-actions/v2')
        ? `POST ${new URLSearchParams(c.query).get('action_name')}`
        : `PATCH tags ${(JSON.parse(c.body) as { action: string }).action}`,
    );
