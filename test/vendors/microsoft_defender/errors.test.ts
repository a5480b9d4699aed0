import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import { RelayError } from '../../../src/kernel/errors.js';
import { Pacer } from '../../../src/kernel/upstream/pacer.js';
import { FAKE_SECRET } from '../../../src/sandbox/microsoft_defender/index.js';
import { configureClient } from '../../../src/vendors/block-clients.js';
import type { DefenderConfig } from '../../../src/vendors/microsoft_defender/config.js';
import { type Harness, startHarness, stopHarness, vectraHost } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
});

const failure = async (p: Promise<unknown>): Promise<RelayError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
};

describe('Microsoft Defender block client: errors', () => {
  it.each([
    [
      'microsoft_defender_client_secret',
      'wrong-secret-value-123',
      /refused the client credentials .*invalid_client/,
    ],
    ['microsoft_defender_client_id', '00000000-0000-4000-8000-000000000000', /unauthorized_client/],
    ['microsoft_defender_tenant_id', 'other.onmicrosoft.com', /invalid_request/],
  ])('a wrong %s is an authorization error naming Entra, never the value', async (field, value, why) => {
    h = await startHarness({ claims: { [field]: value } });
    const err = await failure(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('authorization error');
    expect(err.message).toMatch(why);
    expect(err.message).not.toContain(value);
  });

  it.each([
    [403, 'Forbidden', 'permission denied'],
    [429, 'TooManyRequests', 'too many requests'],
    [500, 'InternalServerError', 'internal error'],
    [503, 'ServiceUnavailable', 'service unavailable'],
    [404, 'ResourceNotFound', 'not found'],
  ])('Defender %i maps to %s', async (status, code, relayCode) => {
    h = await startHarness();
    h.fake.inject(status, code, { count: 10, path: '/api/machines', retryAfter: 0 });
    const err = await failure(h.client.blockHost(vectraHost()));
    expect(err.code).toBe(relayCode);
    expect(err.message).toMatch(/Microsoft Defender for Endpoint/);
  });

  it('a missing application role is permission denied, and nothing was isolated', async () => {
    h = await startHarness();
    h.fake.roles.delete('Machine.Isolate');
    const err = await failure(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('permission denied');
    expect(h.fake.store.actions).toEqual([]);
  });

  it("Defender's own OS refusal (a sensor we could not pre-check) is invalid argument in our words", async () => {
    h = await startHarness();
    h.fake.beforeNext('/isolate', (s) => {
      const m = s.machine(h?.wks.id ?? '');
      m.osPlatform = 'iOS';
    });
    const err = await failure(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('invalid argument');
    expect(err.message).toMatch(/OsPlatformNotSupported/);
  });

  it('one 429 with Retry-After is retried and succeeds', async () => {
    h = await startHarness();
    h.fake.inject(429, 'TooManyRequests', { count: 1, path: '/api/machines', retryAfter: 0 });
    expect((await h.client.blockHost(vectraHost())).pending).toHaveLength(1);
  });

  it('an expired token is renewed once, transparently', async () => {
    h = await startHarness();
    await h.client.health?.();
    h.fake.expireTokens();
    await h.client.health?.();
    expect(h.fake.calls.filter((c) => c.path.endsWith('/token'))).toHaveLength(2);
  });

  it('the token is cached across clients of one credential', async () => {
    h = await startHarness();
    await h.client.health?.();
    await h.client.health?.();
    expect(h.fake.calls.filter((c) => c.path.endsWith('/token'))).toHaveLength(1);
  });

  it('credentials travel only in the token request body, never in a URL, an error or a log', async () => {
    const lines: string[] = [];
    const log = {
      debug: (...a: unknown[]) => lines.push(JSON.stringify(a)),
      info: (...a: unknown[]) => lines.push(JSON.stringify(a)),
      warn: (...a: unknown[]) => lines.push(JSON.stringify(a)),
      error: (...a: unknown[]) => lines.push(JSON.stringify(a)),
    };
    h = await startHarness({ ctx: { log: log as never } });
    h.fake.store.seedAction(h.wks.id, 'Isolate', 'analyst@corp.example', 'Triage');
    await failure(h.client.blockHost(vectraHost()));
    await h.client.unblockHost(vectraHost({ blocked: [h.wks.id] }));
    h.fake.inject(500, 'InternalServerError', { path: '/api/machines' });
    const err = await failure(h.client.blockHost(vectraHost()));
    const tokenCalls = h.fake.calls.filter((c) => c.path.endsWith('/token'));
    expect(tokenCalls[0]?.body).toContain('client_secret=');
    const token = h.fake.calls.find((c) => c.authorization)?.authorization?.slice(7) ?? '';
    for (const c of h.fake.calls) expect(c.query).not.toContain(FAKE_SECRET);
    for (const text of [err.message, ...lines]) {
      expect(text).not.toContain(FAKE_SECRET);
      expect(text).not.toContain(token);
    }
    expect(lines.join('\n')).toMatch(/not ours/);
  });
});

describe('Microsoft Defender configuration', () => {
  const base = {
    block_clients: 'microsoft_defender',
    microsoft_defender_tenant_id: 'contoso.onmicrosoft.com',
    microsoft_defender_client_id: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    microsoft_defender_client_secret: 'secret-value-1234',
  };
  const configure = (over: Record<string, string> = {}, loopback = false) =>
    configureClient(
      'microsoft_defender',
      { ...base, ...over },
      makeConfig({ allowLoopbackUpstreams: loopback }),
    ) as DefenderConfig;

  it.each([
    ['commercial', 'https://api.securitycenter.microsoft.com', 'https://login.microsoftonline.com'],
    ['gcc', 'https://api-gcc.securitycenter.microsoft.us', 'https://login.microsoftonline.com'],
    ['gcc_high', 'https://api-gov.securitycenter.microsoft.us', 'https://login.microsoftonline.us'],
    ['dod', 'https://api-gov.securitycenter.microsoft.us', 'https://login.microsoftonline.us'],
  ])('the %s cloud sets the API and sign-in hosts and the scope', (cloud, api, login) => {
    const cfg = configure({ microsoft_defender_cloud: cloud });
    expect(cfg.apiUrl).toBe(api);
    expect(cfg.tokenUrl).toBe(`${login}/contoso.onmicrosoft.com/oauth2/v2.0/token`);
    expect(cfg.scope).toBe(`${api}/.default`);
  });

  it('an API URL field overrides the host but never the scope', () => {
    const cfg = configure({ microsoft_defender_api_url: 'https://eu.api.security.microsoft.com/' });
    expect(cfg.apiUrl).toBe('https://eu.api.security.microsoft.com');
    expect(cfg.scope).toBe('https://api.securitycenter.microsoft.com/.default');
    expect(cfg.isolationType).toBe('Full');
  });

  it.each([
    [{ microsoft_defender_cloud: 'china' }, /microsoft_defender_cloud is invalid/],
    [{ microsoft_defender_isolation_type: 'Partial' }, /microsoft_defender_isolation_type is invalid/],
    [{ microsoft_defender_client_id: 'not-a-guid' }, /microsoft_defender_client_id is invalid/],
    [{ microsoft_defender_api_url: 'http://127.0.0.1:9' }, /microsoft_defender_api_url must use https/],
    [{ microsoft_defender_login_url: 'ftp://x.example' }, /microsoft_defender_login_url is invalid/],
  ])('refuses %o by field name', (over, why) => {
    expect(() => configure(over)).toThrow(why);
  });

  it('a missing secret is named, never shown', () => {
    const { microsoft_defender_client_secret: _, ...rest } = base;
    expect(() => configureClient('microsoft_defender', rest, makeConfig())).toThrow(
      /microsoft_defender_client_secret is missing/,
    );
  });
});

describe('Pacer', () => {
  it('waits for room in every window, and refuses a wait past the deadline', async () => {
    const p = new Pacer('Product X', [{ calls: 2, perMs: 200 }]);
    await p.take(Date.now() + 5_000);
    await p.take(Date.now() + 5_000);
    const t0 = Date.now();
    await p.take(Date.now() + 5_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    await p.take(Date.now() + 5_000);
    const err = await p.take(Date.now() + 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('too many requests');
    expect((err as RelayError).message).toMatch(/2 calls per 200 ms/);
  });
});
