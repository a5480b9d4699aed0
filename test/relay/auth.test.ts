import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VendorModule } from '../../src/kernel/vendor.js';
import { allowedJwksOrigin, clearJwksCache } from '../../src/relay/auth.js';
import { ROUTES } from '../../src/relay/schemas.js';
import { makeApp } from '../helpers/app.js';
import {
  hs256,
  type JwksServer,
  type RsaKey,
  rs256,
  rsaKey,
  startJwksServer,
  unsigned,
} from '../helpers/jwt.js';

const AUTH_ROUTES = ROUTES.filter((r) => r.auth).map((r) => r.path);
const BODY = [{ type: 'ip', value: '1.1.1.1' }];

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const json = (await res.json()) as { errors?: { code: string; message: string }[] };
  expect(res.status).toBe(200);
  return json.errors?.[0] ?? { code: 'none', message: 'none' };
}

describe('hs256 mode', () => {
  const cases: [string, () => Promise<Record<string, string>>, string][] = [
    ['no header', async () => ({}), 'Authorization header is missing'],
    ['a Basic scheme', async () => ({ authorization: 'Basic dGVzdDp0ZXN0' }), 'Wrong authorization type'],
    [
      'a wrong scheme',
      async () => ({ authorization: `wrong_type ${await hs256({})}` }),
      'Wrong authorization type',
    ],
    ['one part', async () => ({ authorization: 'Bearer' }), 'Wrong authorization type'],
    [
      'three parts',
      async () => ({ authorization: `Bearer ${await hs256({})} extra` }),
      'Wrong authorization type',
    ],
    ['a non-JWT', async () => ({ authorization: 'Bearer this_is_not_a_jwt' }), 'Wrong JWT structure'],
    [
      'a bad signature',
      async () => ({
        authorization: `Bearer ${await hs256({}, 'another-secret-of-some-length-0123456789')}`,
      }),
      'Failed to decode JWT with provided key',
    ],
    [
      'alg none',
      async () => ({ authorization: `Bearer ${unsigned({ key: 'x' })}` }),
      'Wrong JWT structure: algorithm not allowed, expected HS256',
    ],
    [
      'an expired token',
      async () => ({ authorization: `Bearer ${await hs256({}, undefined, '-5m')}` }),
      'The JWT has expired',
    ],
  ];

  for (const path of AUTH_ROUTES) {
    it.each(cases)(`${path} refuses %s`, async (_name, headers, message) => {
      const { post } = makeApp();
      const err = await errorOf(await post(path, BODY, await headers()));
      expect(err).toEqual({
        type: 'fatal',
        code: 'authorization error',
        message: `Authorization failed: ${message}`,
      });
    });
  }

  it('refuses when SECRET_KEY is missing', async () => {
    const { post } = makeApp({ secret: undefined });
    const err = await errorOf(
      await post('/health', undefined, { authorization: `Bearer ${await hs256({})}` }),
    );
    expect(err.message).toBe('Authorization failed: <SECRET_KEY> is missing');
  });

  it('refuses an RS256 token', async () => {
    const key = await rsaKey('k1');
    const { post } = makeApp();
    const err = await errorOf(
      await post('/health', undefined, { authorization: `Bearer ${await rs256(key, {})}` }),
    );
    expect(err.message).toBe(
      'Authorization failed: Wrong JWT structure: algorithm not allowed, expected HS256',
    );
  });

  it('checks an audience when the token carries one', async () => {
    const { post } = makeApp({ config: { publicUrl: 'https://relay.example.com' } });
    const good = await hs256({ aud: 'https://relay.example.com/' });
    const bad = await hs256({ aud: 'https://elsewhere.example.com' });
    expect(await (await post('/health', undefined, { authorization: `Bearer ${good}` })).json()).toEqual({
      data: { status: 'ok' },
    });
    expect(
      (await errorOf(await post('/health', undefined, { authorization: `Bearer ${bad}` }))).message,
    ).toBe('Authorization failed: Wrong configuration-token-audience');
  });

  it('refuses a claim that is not a flat value', async () => {
    const { post } = makeApp();
    const err = await errorOf(
      await post('/health', undefined, { authorization: `Bearer ${await hs256({ vectra_url: { a: 1 } })}` }),
    );
    expect(err.message).toBe(
      'Authorization failed: Wrong JWT payload structure: vectra_url must be a string',
    );
  });
});

describe('rs256 mode against a real JWKS server', () => {
  let jwks: JwksServer;
  let key: RsaKey;
  const audience = 'http://localhost';

  beforeAll(async () => {
    key = await rsaKey('02B1174234C29F8EFB69911438F597FF3FFEE6B7');
    jwks = await startJwksServer([key.jwk]);
  });
  afterAll(() => jwks.close());
  beforeEach(() => clearJwksCache());

  const app = () =>
    makeApp({
      config: {
        authMode: 'rs256',
        publicUrl: 'http://localhost',
        jwksAllowedHosts: [jwks.origin],
        jwksCacheTtlMs: 600_000,
      },
    });
  const token = (payload: Record<string, unknown> = {}, opts = {}) =>
    rs256(key, { jwks_host: jwks.host, aud: audience, ...payload }, opts);

  it('accepts a valid configuration token', async () => {
    const res = await app().post('/health', undefined, { authorization: `Bearer ${await token()}` });
    expect(await res.json()).toEqual({ data: { status: 'ok' } });
  });

  it('fetches the JWKS once per host per TTL, not per request', async () => {
    const before = jwks.hits();
    const a = app();
    for (let i = 0; i < 10; i += 1) {
      await a.post('/health', undefined, { authorization: `Bearer ${await token()}` });
    }
    expect(jwks.hits() - before).toBe(1);
  });

  it('picks up a rotated key with a new kid', async () => {
    const a = app();
    await a.post('/health', undefined, { authorization: `Bearer ${await token()}` });
    const rotated = await rsaKey('rotated-kid');
    jwks.setKeys([key.jwk, rotated.jwk]);
    const t = await rs256(rotated, { jwks_host: jwks.host, aud: audience });
    const before = jwks.hits();
    // An unknown kid makes jose refetch once its 30 s cooldown has passed: move the clock past it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 });
    try {
      expect(await (await a.post('/health', undefined, { authorization: `Bearer ${t}` })).json()).toEqual({
        data: { status: 'ok' },
      });
      expect(jwks.hits() - before).toBe(1);
    } finally {
      vi.useRealTimers();
      jwks.setKeys([key.jwk]);
    }
  });

  const failures: [string, () => Promise<string>, string][] = [
    [
      'a missing jwks_host',
      async () => rs256(key, { aud: audience }),
      'jwks_host is missing in JWT payload. Make sure custom_jwks_host field is present in module_type',
    ],
    [
      'a foreign jwks_host',
      async () => rs256(key, { jwks_host: 'evil.example.com', aud: audience }),
      'Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure',
    ],
    [
      'an unknown kid',
      async () => token({}, { kid: 'wrong_kid' }),
      'kid from JWT header not found in API response',
    ],
    [
      'a wrong audience',
      async () => token({ aud: 'http://wrongaudience' }),
      'Wrong configuration-token-audience',
    ],
    ['an expired token', async () => token({}, { exp: '-1h' }), 'The JWT has expired'],
    ['a not-yet-valid token', async () => token({}, { nbf: '+1h' }), 'The JWT is not yet valid'],
    [
      'an HS256 token',
      async () => hs256({ jwks_host: 'x', aud: audience }),
      'Wrong JWT structure: algorithm not allowed, expected RS256',
    ],
    [
      'alg none',
      async () => unsigned({ jwks_host: 'x', aud: audience }),
      'Wrong JWT structure: algorithm not allowed, expected RS256',
    ],
  ];

  for (const path of AUTH_ROUTES) {
    it.each(failures)(`${path} refuses %s`, async (_name, make, message) => {
      const res = await app().post(path, BODY, { authorization: `Bearer ${await make()}` });
      expect(await errorOf(res)).toEqual({
        type: 'fatal',
        code: 'authorization error',
        message: `Authorization failed: ${message}`,
      });
    });
  }

  it('refuses a token signed by another key with the same kid', async () => {
    const impostor = await rsaKey(key.kid);
    const t = await rs256(impostor, { jwks_host: jwks.host, aud: audience });
    const err = await errorOf(await app().post('/health', undefined, { authorization: `Bearer ${t}` }));
    expect(err.message).toMatch(
      /^Authorization failed: Failed to decode JWT with provided key\. Make sure domain/,
    );
  });

  it('never calls a foreign jwks_host', async () => {
    const before = jwks.hits();
    const t = await rs256(key, { jwks_host: '127.0.0.1:1', aud: audience });
    await app().post('/health', undefined, { authorization: `Bearer ${t}` });
    expect(jwks.hits()).toBe(before);
  });

  it('maps an unreachable allow-listed JWKS host to Wrong jwks_host', async () => {
    const t = await rs256(key, { jwks_host: '127.0.0.1:9', aud: audience });
    const a = makeApp({
      config: { authMode: 'rs256', publicUrl: 'http://localhost', jwksAllowedHosts: ['http://127.0.0.1:9'] },
    });
    const err = await errorOf(await a.post('/health', undefined, { authorization: `Bearer ${t}` }));
    expect(err.message).toBe(
      'Authorization failed: Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure',
    );
  });
});

describe('deployment module key', () => {
  let jwks: JwksServer;
  let key: RsaKey;
  const MODULE_KEY = 'mk-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEF';
  const echo: VendorModule<Record<string, string>> = {
    id: 'echo',
    title: 'Echo',
    supportedTypes: new Set(['ip']),
    configure: (claims) => ({ ...claims }),
    refer: async (cfg) => ({
      data: [
        { id: 'claims', title: Object.keys(cfg).sort().join(','), description: '', url: '', categories: [] },
      ],
      errors: [],
    }),
  };

  beforeAll(async () => {
    key = await rsaKey('mk');
    jwks = await startJwksServer([key.jwk]);
  });
  afterAll(() => jwks.close());

  const app = () =>
    makeApp({
      config: { authMode: 'rs256', publicUrl: 'http://localhost', jwksAllowedHosts: [jwks.origin] },
      moduleKey: MODULE_KEY,
      vendors: [echo],
      secretKey: async () => {
        throw new Error('an RS256 relay must not read SECRET_KEY');
      },
    });
  const token = (payload: Record<string, unknown>) =>
    rs256(key, { jwks_host: jwks.host, aud: 'http://localhost', ...payload });

  it.each([
    ['without the key', {}],
    ['with another key', { relay_module_key: 'someone-elses-key-0123456789abcdefghijkl' }],
  ])('refuses a Cisco-signed token %s', async (_name, extra) => {
    const res = await app().post('/health', undefined, { authorization: `Bearer ${await token(extra)}` });
    const err = await errorOf(res);
    expect(err.code).toBe('authorization error');
    expect(err.message).toContain('relay_module_key does not match this relay');
  });

  it('accepts the key and keeps it out of the claims vendors see', async () => {
    const t = await token({ relay_module_key: MODULE_KEY, vectra_url: 'https://x' });
    const res = await app().post('/refer/observables', BODY, { authorization: `Bearer ${t}` });
    expect(await res.json()).toMatchObject({ data: [{ title: 'jwks_host,vectra_url' }] });
  });

  it('answers service unavailable when the HS256 key cannot be read', async () => {
    const a = makeApp({
      secretKey: async () => {
        throw new Error('Secrets Manager is down');
      },
    });
    const err = await errorOf(
      await a.post('/health', undefined, { authorization: `Bearer ${await hs256({})}` }),
    );
    expect(err).toEqual({
      type: 'fatal',
      code: 'service unavailable',
      message: 'The relay could not read SECRET_KEY; please, try again later.',
    });
  });
});

describe('jwks_host allow-list', () => {
  const allowed = ['visibility.amp.cisco.com', 'http://127.0.0.1:8081'];
  it.each([
    ['visibility.amp.cisco.com', 'https://visibility.amp.cisco.com'],
    ['https://visibility.amp.cisco.com/', 'https://visibility.amp.cisco.com'],
    ['127.0.0.1:8081', 'http://127.0.0.1:8081'],
    ['http://127.0.0.1:8081', 'http://127.0.0.1:8081'],
    ['visibility.amp.cisco.com.evil.com', undefined],
    ['evil.com/visibility.amp.cisco.com', undefined],
    ['127.0.0.1:8082', undefined],
    ['http://visibility.amp.cisco.com', undefined],
  ])('%s resolves to %s', (host, origin) => {
    expect(allowedJwksOrigin(host, allowed)).toBe(origin);
  });
});

describe('issue 12: audience, exp and a hung JWKS host', () => {
  let jwks: JwksServer;
  let key: RsaKey;
  beforeAll(async () => {
    key = await rsaKey('i12');
    jwks = await startJwksServer([key.jwk]);
  });
  afterAll(() => jwks.close());
  beforeEach(() => clearJwksCache());

  const app = (config: Record<string, unknown> = {}) =>
    makeApp({
      config: {
        authMode: 'rs256',
        publicUrl: 'https://relay.example',
        jwksAllowedHosts: [jwks.origin],
        ...config,
      },
    });
  const token = (payload: Record<string, unknown> = {}, opts = {}) =>
    rs256(key, { jwks_host: jwks.host, aud: 'https://relay.example', ...payload }, opts);

  it('refuses to start in rs256 mode without RELAY_PUBLIC_URL', async () => {
    const { createRuntime } = await import('../../src/handlers/runtime.js');
    expect(() => createRuntime({ AUTH_MODE: 'rs256' }, async () => undefined)).toThrow(
      'Invalid environment: RELAY_PUBLIC_URL (required when AUTH_MODE is rs256)',
    );
  });

  it('never takes an rs256 audience from the request: a token for the Host header is refused', async () => {
    const a = app({ publicUrl: undefined });
    const t = await token({ aud: 'http://localhost' });
    const err = await errorOf(await a.post('/health', undefined, { authorization: `Bearer ${t}` }));
    expect(err.code).toBe('authorization error');
  });

  it('accepts a token without exp by default, logging a warning, and refuses it with JWT_REQUIRE_EXP', async () => {
    const lenient = app();
    const res = await lenient.post('/health', undefined, { authorization: `Bearer ${await token()}` });
    expect(await res.json()).toEqual({ data: { status: 'ok' } });
    expect(lenient.logs.some((l) => l.includes('accepted a token without exp'))).toBe(true);
    const strict = app({ jwtRequireExp: true });
    const err = await errorOf(
      await strict.post('/health', undefined, { authorization: `Bearer ${await token()}` }),
    );
    expect(err.code).toBe('authorization error');
    const ok = await strict.post('/health', undefined, {
      authorization: `Bearer ${await token({}, { exp: '+5m' })}`,
    });
    expect(await ok.json()).toEqual({ data: { status: 'ok' } });
  });

  it('answers service unavailable when the JWKS host hangs', async () => {
    const { createServer } = await import('node:http');
    const hung = createServer(() => undefined);
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
    const { port } = hung.address() as { port: number };
    try {
      const a = app({ jwksAllowedHosts: [`http://127.0.0.1:${port}`], upstreamTimeoutMs: 200 });
      const t = await rs256(key, { jwks_host: `127.0.0.1:${port}`, aud: 'https://relay.example' });
      const err = await errorOf(await a.post('/health', undefined, { authorization: `Bearer ${t}` }));
      expect(err.code).toBe('service unavailable');
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((r) => hung.close(() => r()));
    }
  });
});
