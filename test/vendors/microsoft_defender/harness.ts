/** A fake Defender tenant and the real `microsoft_defender` client (registry, transport, pacer) pointed at it. */
import type { BlockClient } from '../../../src/kernel/block-client.js';
import type { RequestContext } from '../../../src/kernel/context.js';
import type { VectraHost } from '../../../src/kernel/model.js';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import {
  FAKE_CLIENT_ID,
  FAKE_SECRET,
  FAKE_TENANT,
  type FakeDefender,
  makeMachine,
  startFakeDefender,
} from '../../../src/sandbox/microsoft_defender/index.js';
import type { FakeMachine } from '../../../src/sandbox/microsoft_defender/model.js';
import { createBlockClient } from '../../../src/vendors/block-clients.js';
import { CLIENT_NAME } from '../../../src/vendors/microsoft_defender/config.js';
import { makeContext } from '../../helpers/context.js';
import { makeHost } from '../../helpers/objects.js';

export interface Harness {
  fake: FakeDefender;
  ctx: RequestContext;
  client: BlockClient;
  wks: FakeMachine;
}

export const claimsFor = (fake: FakeDefender, over: Record<string, string> = {}) => ({
  block_clients: 'microsoft_defender',
  microsoft_defender_tenant_id: FAKE_TENANT,
  microsoft_defender_client_id: FAKE_CLIENT_ID,
  microsoft_defender_client_secret: FAKE_SECRET,
  microsoft_defender_api_url: fake.url,
  microsoft_defender_login_url: fake.url,
  ...over,
});

export async function startHarness(
  opts: { claims?: Record<string, string>; ctx?: Partial<RequestContext>; perMinute?: number } = {},
): Promise<Harness> {
  const fake = await startFakeDefender({
    jobMs: 600_000,
    ...(opts.perMinute ? { perMinute: opts.perMinute } : {}),
  });
  const wks = fake.store.add(
    makeMachine({ computerDnsName: 'wks-fin-042.corp.example', lastIpAddress: '10.20.30.42' }),
  );
  const ctx = makeContext({ claims: claimsFor(fake, opts.claims), ...opts.ctx });
  return { fake, ctx, client: createBlockClient('microsoft_defender', ctx), wks };
}

export async function stopHarness(h: Harness | undefined): Promise<void> {
  await closeUpstreamPools();
  await h?.fake.close();
}

/** The Vectra host, with what the client recorded for it. */
export const vectraHost = (
  over: Partial<VectraHost> & { blocked?: string[]; pending?: string[] } = {},
): VectraHost => {
  const { blocked, pending, ...rest } = over;
  return makeHost({
    id: 42,
    name: 'wks-fin-042',
    ip: '10.20.30.42',
    threat: 88,
    certainty: 91,
    ...(blocked ? { blockedElements: { [CLIENT_NAME]: blocked } } : {}),
    ...(pending ? { pendingElements: { [CLIENT_NAME]: pending } } : {}),
    ...rest,
  });
};

/** `POST isolate`, `GET machineactions`… for the API calls made (token calls left out). */
export const apiCalls = (h: Harness) =>
  h.fake.calls
    .filter((c) => c.path.startsWith('/api/'))
    .map(
      (c) =>
        `${c.method} ${c.path
          .replace(/^\/api\//, '')
          .replace(/[0-9a-f]{40}/g, '{m}')
          .replace(/[0-9a-f-]{36}/g, '{a}')}`,
    );
