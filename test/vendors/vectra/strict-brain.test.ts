/**
 * Issue 15: the fake brain refuses what the real API refuses, and the client
 * survives it (verified lookups, partial results, verified group members,
 * re-based next links, field-limited pages, long Retry-After, v2.5 host scope).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import { type FakeBrain, startFakeBrain } from '../../../src/sandbox/vectra-brain/index.js';
import { VECTRA_RETRY_POLICY } from '../../../src/vendors/vectra/api.js';
import { clearTokenCache } from '../../../src/vendors/vectra/auth.js';
import { VectraClient } from '../../../src/vendors/vectra/client.js';
import { observeVectra } from '../../../src/vendors/vectra/observe.js';
import { vectraPort } from '../../../src/vendors/vectra/var-port.js';
import { apiCalls, clientFor, configFor, ctxFor, FAST_RETRY } from './helpers.js';

const brains: FakeBrain[] = [];
async function brainWith(opts: Parameters<typeof startFakeBrain>[0] = {}): Promise<FakeBrain> {
  const b = await startFakeBrain(opts);
  brains.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(brains.splice(0).map((b) => b.close()));
  clearTokenCache();
});
afterAll(() => closeUpstreamPools());

async function call(brain: FakeBrain, flavour: 'v2.5' | 'v3', path: string, init: RequestInit = {}) {
  let auth = `Token ${brain.apiToken}`;
  if (flavour === 'v3') {
    const [id, secret] = Object.entries(brain.clients)[0] ?? ['', ''];
    const t = (await (
      await fetch(`${brain.url}/oauth2/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      })
    ).json()) as { access_token: string };
    auth = `Bearer ${t.access_token}`;
  }
  const base = flavour === 'v2.5' ? '/api/v2.5' : '/api/v3.4';
  const res = await fetch(`${brain.url}${base}/${path}`, {
    ...init,
    headers: { authorization: auth, 'content-type': 'application/json', ...init.headers },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the fake brain is as strict as the real API', () => {
  it('refuses unknown search fields (422) and undocumented parameters per version and endpoint', async () => {
    const brain = await brainWith();
    const q = encodeURIComponent('host.host_artifact_set.value:"x"');
    expect((await call(brain, 'v2.5', `search/hosts?query_string=${q}`)).status).toBe(422);
    expect((await call(brain, 'v2.5', 'search/hosts?query_string=host.name:"x"')).status).toBe(200);
    // Unknown fields are refused inside groups too, and so is a query the fake cannot parse.
    const grouped = encodeURIComponent('host.name:"x" OR (host.state:"active" AND host.bogus:1)');
    expect((await call(brain, 'v2.5', `search/hosts?query_string=${grouped}`)).status).toBe(422);
    const broken = encodeURIComponent('host.name:"x" OR (host.state:"active"');
    expect((await call(brain, 'v2.5', `search/hosts?query_string=${broken}`)).status).toBe(422);
    expect((await call(brain, 'v3', 'accounts?uid=x')).status).toBe(400);
    expect((await call(brain, 'v3', 'accounts?threat_gte=50')).status).toBe(400);
    expect((await call(brain, 'v3', 'accounts?t_score_gte=50')).status).toBe(200);
    expect((await call(brain, 'v2.5', 'accounts?uid=x')).status).toBe(200);
    expect((await call(brain, 'v3', 'hosts?all=true')).status).toBe(400);
    expect((await call(brain, 'v2.5', 'groups?include_members=true')).status).toBe(400);
    expect((await call(brain, 'v2.5', 'hosts?bogus=1')).body).toEqual({
      detail: 'Unknown query parameter "bogus" for hosts.',
    });
  });

  it('answers a duplicate group with 409 and OAuth failures as {error, error_description}', async () => {
    const brain = await brainWith();
    const group = { name: 'G', type: 'ip', members: ['192.0.2.1'], importance: 'low' };
    const post = { method: 'POST', body: JSON.stringify(group) };
    expect((await call(brain, 'v3', 'groups', post)).status).toBe(201);
    expect((await call(brain, 'v3', 'groups', post)).status).toBe(409);
    const res = await fetch(`${brain.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('nope:nope').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: 'invalid_client',
      error_description: 'Invalid client credentials.',
    });
  });

  it('serves v2.5 objects without urgency and v3 entities in their real shape', async () => {
    const brain = await brainWith();
    const h = brain.addHost({ name: 'h', keyAsset: true, urgency: 70 });
    const host = (await call(brain, 'v2.5', `hosts/${h.id}`)).body;
    expect(host).not.toHaveProperty('urgency_score');
    const entity = (await call(brain, 'v3', `entities/${h.id}?type=host`)).body;
    expect(entity).toMatchObject({
      importance: 1,
      host_type: ['workstation'],
      account_type: null,
      urgency_score: 70,
    });
    expect(String(entity.url)).toMatch(new RegExp(`/api/v3\\.4/hosts/${h.id}$`));
  });
});

describe('the client against the strict brain', () => {
  it('hostname lookups use only verified search fields, and one failing query leaves a partial result and a warning', async () => {
    const brain = await brainWith();
    brain.addHost({
      name: 'wks-7',
      keyAsset: true,
      artifacts: [{ type: 'dns', value: 'wks-7.corp.example' }],
    });
    brain.inject({ path: '/search/hosts', status: 503, times: 10 });
    const out = await observeVectra(
      configFor(brain, 'v2.5'),
      [{ type: 'hostname', value: 'wks-7.corp.example' }],
      ctxFor(),
      clientFor(brain, 'v2.5'),
    );
    expect(out.data.sightings?.length).toBe(1);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatchObject({ type: 'warning', code: 'service unavailable' });
    for (const r of apiCalls(brain, '/search/'))
      expect(r.query.query_string).not.toContain('host_artifact_set');
  });

  it('user lookups read the account detections without an unverified search field', async () => {
    const brain = await brainWith();
    const a = brain.addAccount({ name: 'O365:jane@corp.example' });
    brain.addDetection({ type: 'Suspicious Admin', category: 'LATERAL MOVEMENT', accountId: a.id });
    const out = await observeVectra(
      configFor(brain, 'v2.5'),
      [{ type: 'user', value: 'jane@corp.example' }],
      ctxFor(),
      clientFor(brain, 'v2.5'),
    );
    expect(out.errors).toEqual([]);
    expect(out.data.sightings?.map((s) => String(s.source_uri).replace(/^.*\/(\w+\/\d+)$/, '$1'))).toEqual([
      `accounts/${a.id}`,
      'detections/1',
    ]);
  });

  it.each(['v2.5', 'v3'] as const)(
    'account-group members are verified against the member list (%s)',
    async (flavour) => {
      const brain = await brainWith();
      const ceo = brain.addAccount({ name: 'ceo@corp.example' });
      const other = brain.addAccount({ name: 'intern@corp.example' });
      brain.addGroup({ name: 'NoBlock', type: 'account', members: ['ceo@corp.example'] });
      // A brain that ignores the filter answers every account.
      const all = {
        count: 2,
        next: null,
        results: [brain.state.accounts.get(ceo.id), brain.state.accounts.get(other.id)],
      };
      brain.inject({ path: /\/accounts$/, status: 200, body: all });
      const members = await clientFor(brain, flavour).groupMembers('NoBlock', 'account');
      expect(members.map((m) => m.id)).toEqual([ceo.id]);
    },
  );

  it('follows next links written with another origin (FQDN, proxy) on the configured one', async () => {
    const brain = await brainWith({ advertisedOrigin: 'https://brain.corp.example' });
    for (let i = 0; i < 5; i++) brain.addHost({ name: `h${i}`, keyAsset: true });
    const hosts = await clientFor(brain, 'v2.5').listHosts({}, { pageSize: 2, requireComplete: true });
    expect(hosts).toHaveLength(5);
  });

  it('v2.5 lists ask for every host (all=true): a quiet blocked host is still found', async () => {
    const brain = await brainWith();
    brain.addHost({ name: 'quiet', tags: ['VAR Host Blocked'] });
    const hosts = await clientFor(brain, 'v2.5').listHosts({ tags: 'VAR Host Blocked' });
    expect(hosts.map((h) => h.name)).toEqual(['quiet']);
    expect(apiCalls(brain, '/hosts')[0]?.query.all).toBe('true');
  });

  it('the engine asks for the fields it reads, in pages well under the body cap', async () => {
    const brain = await brainWith();
    brain.addHost({ name: 'h', keyAsset: true, tags: ['vectra_host_block'] });
    const port = vectraPort(clientFor(brain, 'v2.5'));
    await port.listHosts({ tags: 'vectra_host_block' });
    await port.listDetections({ state: 'active' });
    const [hosts] = apiCalls(brain, '/hosts');
    expect(hosts?.query.fields).toContain('host_artifact_set');
    expect(Number(hosts?.query.page_size)).toBeLessThanOrEqual(500);
    expect(Number(apiCalls(brain, '/detections')[0]?.query.page_size)).toBeLessThanOrEqual(100);
  });

  it('honours a Retry-After above 10 s while the deadline allows, and says why when it does not', async () => {
    expect(VECTRA_RETRY_POLICY.maxRetryAfterMs).toBe(Number.POSITIVE_INFINITY);
    const brain = await brainWith();
    brain.inject({ path: '/hosts', status: 429, retryAfter: 11, times: 5 });
    const ctx = ctxFor({ deadline: Date.now() + 3_000 });
    const client = new VectraClient(configFor(brain, 'v2.5'), ctx, {
      retryPolicy: { ...FAST_RETRY, maxRetryAfterMs: Number.POSITIVE_INFINITY },
    });
    const err = await client.listHosts().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'too many requests' });
    expect((err as Error).message).toContain('asked to retry after 11 s');
  });
});
