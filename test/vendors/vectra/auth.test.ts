import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import type { FakeBrain } from '../../../src/sandbox/vectra-brain/index.js';
import { clearTokenCache } from '../../../src/vendors/vectra/auth.js';
import { VectraClient } from '../../../src/vendors/vectra/client.js';
import { parseVectraConfig } from '../../../src/vendors/vectra/config.js';
import { claimsFor, clientFor, ctxFor, FAST_RETRY, withBrain } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let brain: FakeBrain | undefined;
afterEach(async () => {
  await brain?.close();
  brain = undefined;
  clearTokenCache();
});
afterAll(() => closeUpstreamPools());

describe('OAuth token handling', () => {
  it('caches the v3 token across calls and relay requests', async () => {
    brain = await withBrain();
    brain.addHost({ name: 'h' });
    for (let i = 0; i < 3; i++) await clientFor(brain, 'v3').listHosts(); // a new client (request) each time
    expect(brain.tokenRequests).toEqual({ clientCredentials: 1, refresh: 0, total: 1 });
    expect(brain.requests.filter((r) => r.path === '/oauth2/token').every((r) => r.auth === 'basic')).toBe(
      true,
    );
    expect(brain.requests.filter((r) => r.path.startsWith('/api/')).every((r) => r.auth === 'bearer')).toBe(
      true,
    );
  });

  it('shares one in-flight token request between concurrent callers', async () => {
    brain = await withBrain();
    brain.setLatency(50);
    const client = clientFor(brain, 'v3');
    await Promise.all(Array.from({ length: 8 }, () => client.listHosts()));
    expect(brain.tokenRequests.total).toBe(1);
  });

  it('refreshes with the refresh token after expiry', async () => {
    brain = await withBrain({ tokenTtlSeconds: 1 });
    await clientFor(brain, 'v3').health();
    await sleep(1000);
    await clientFor(brain, 'v3').health();
    expect(brain.tokenRequests).toEqual({ clientCredentials: 1, refresh: 1, total: 2 });
  });

  it('falls back to client credentials when the refresh token is refused', async () => {
    brain = await withBrain({ tokenTtlSeconds: 1 });
    await clientFor(brain, 'v3').health();
    await sleep(1000);
    brain.inject({ path: '/oauth2/token', status: 401, body: { detail: 'refresh token revoked' } });
    await clientFor(brain, 'v3').health();
    expect(brain.tokenRequests.clientCredentials).toBe(2);
  });

  it('uses v2.5 OAuth at /api/v2.5/oauth2/token without refresh tokens', async () => {
    brain = await withBrain({ tokenTtlSeconds: 1 });
    const [id, secret] = Object.entries(brain.clients)[0] ?? [];
    const ctx = ctxFor();
    const cfg = parseVectraConfig(
      { vectra_url: brain.url, vectra_client_id: id ?? '', vectra_client_secret: secret ?? '' },
      ctx.config,
    );
    if (!cfg) throw new Error('unconfigured');
    await new VectraClient(cfg, ctx).health();
    await sleep(1000);
    await new VectraClient(cfg, ctx).health();
    expect(brain.requests.filter((r) => r.path === '/api/v2.5/oauth2/token')).toHaveLength(2);
    expect(brain.tokenRequests).toMatchObject({ clientCredentials: 2, refresh: 0 });
  });

  it('gets a new token once when the brain refuses a cached one', async () => {
    brain = await withBrain();
    await clientFor(brain, 'v3').health();
    brain.revokeTokens();
    await clientFor(brain, 'v3').health();
    expect(brain.tokenRequests.total).toBe(2);
  });

  it('keys the cache by the secret too', async () => {
    brain = await withBrain({ clients: { a: 'one', b: 'two' } });
    const ctx = ctxFor();
    const make = (id: string, secret: string) => {
      const claims = claimsFor(brain as FakeBrain, 'v3', {
        vectra_client_id: id,
        vectra_client_secret: secret,
      });
      const cfg = parseVectraConfig(claims, ctx.config);
      if (!cfg) throw new Error('unconfigured');
      return new VectraClient(cfg, ctx, { retryPolicy: FAST_RETRY });
    };
    await make('a', 'one').health();
    await make('b', 'two').health();
    await expect(make('a', 'wrong').health()).rejects.toMatchObject({
      code: 'authorization error',
      message: expect.stringMatching(
        /^Authorization failed: Vectra Detect rejected the API client credentials \(HTTP 40[01](, [a-z_]+)?\)\.$/,
      ),
    });
    await make('a', 'one').health();
    expect(brain.tokenRequests.clientCredentials).toBe(3);
  });

  it('maps a token endpoint outage to service unavailable and retries it', async () => {
    brain = await withBrain();
    brain.inject({ path: '/oauth2/token', status: 503 });
    await clientFor(brain, 'v3').health();
    brain.inject({ path: '/oauth2/token', status: 503, times: 10 });
    clearTokenCache(ctxFor().caches);
    const err = await clientFor(brain, 'v3')
      .health()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('service unavailable');
  });
});
