import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeConfig } from '../../src/kernel/config.js';
import { clearJwksCache, verifyAuthorization } from '../../src/relay/auth.js';
import { MAX_BYTES, MAX_ENTRIES, verifiedTokenStats } from '../../src/relay/verified-tokens.js';
import { hs256, type JwksServer, rs256, rsaKey, startJwksServer, TEST_SECRET } from '../helpers/jwt.js';

const ORIGIN = 'https://relay.example.com';
const hsOpts = (secretKey = TEST_SECRET, moduleKey?: string) => ({
  config: makeConfig({ authMode: 'hs256' }),
  requestOrigin: ORIGIN,
  secretKey,
  moduleKey,
});
const verify = (token: string, opts = hsOpts()) => verifyAuthorization(`Bearer ${token}`, opts);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => 'verified',
    (e: { message: string }) => e.message.replace(/^Authorization failed: /, ''),
  );

beforeEach(() => clearJwksCache());
afterEach(() => vi.useRealTimers());

describe('verified tokens are kept, and never past what made them valid', () => {
  it('verifies a token once and answers its claims from the cache after that', async () => {
    const token = await hs256({ vectra_url: 'https://brain.example' }, undefined, '10m');
    for (let i = 0; i < 50; i++) expect(await verify(token)).toEqual({ vectra_url: 'https://brain.example' });
    expect(verifiedTokenStats().entries).toBe(1);
  });

  it('refuses a cached token once a new SECRET_KEY is in use', async () => {
    const token = await hs256({ a: '1' }, undefined, '10m');
    await verify(token);
    const rotated = 'rotated-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG';
    expect(await failure(verify(token, hsOpts(rotated)))).toBe('Failed to decode JWT with provided key');
    expect(await verify(token)).toEqual({ a: '1' });
  });

  it('re-checks the module key on every hit, and drops it from the claims', async () => {
    const key = 'k'.repeat(40);
    const token = await hs256({ a: '1', relay_module_key: key }, undefined, '10m');
    expect(await verify(token, hsOpts(TEST_SECRET, key))).toEqual({ a: '1' });
    expect(await verify(token, hsOpts(TEST_SECRET, key))).toEqual({ a: '1' });
    expect(await failure(verify(token, hsOpts(TEST_SECRET, 'x'.repeat(40))))).toMatch(
      /relay_module_key does not match/,
    );
  });

  it('refuses a cached token once it has expired', async () => {
    const token = await hs256({ a: '1' }, undefined, '2m');
    await verify(token);
    vi.useFakeTimers({ now: Date.now() + 3 * 60_000, toFake: ['Date'] });
    expect(await failure(verify(token))).toBe('The JWT has expired');
  });

  it('keys entries by the expected audience too', async () => {
    const token = await hs256({ aud: ORIGIN, a: '1' }, undefined, '10m');
    await verify(token);
    const elsewhere = { ...hsOpts(), requestOrigin: 'https://other.example.com' };
    expect(await failure(verify(token, elsewhere))).toBe('Wrong configuration-token-audience');
  });

  it('stays within its entry and byte bounds', async () => {
    const big = 'x'.repeat(8 * 1024);
    for (let i = 0; i < MAX_ENTRIES + 50; i++) await verify(await hs256({ i: String(i) }, undefined, '10m'));
    expect(verifiedTokenStats().entries).toBe(MAX_ENTRIES);
    for (let i = 0; i < 300; i++) await verify(await hs256({ i: String(i), big }, undefined, '10m'));
    expect(verifiedTokenStats().bytes).toBeLessThanOrEqual(MAX_BYTES);
  });
});

describe('RS256: never past a JWKS key rotation', () => {
  let jwks: JwksServer;
  afterAll(() => jwks?.close());

  it('verifies again when the JWKS no longer holds the kid', async () => {
    const oldKey = await rsaKey('old');
    const newKey = await rsaKey('new');
    jwks = await startJwksServer([oldKey.jwk]);
    // A tiny JWKS cache age: every hit asks the key set, which reloads and answers a new key.
    const config = makeConfig({
      authMode: 'rs256',
      jwksAllowedHosts: [jwks.origin],
      jwksCacheTtlMs: 1,
      publicUrl: ORIGIN,
    });
    const opts = { config, requestOrigin: ORIGIN, secretKey: undefined };
    const token = await rs256(oldKey, { jwks_host: jwks.host, aud: ORIGIN }, { exp: '10m' });
    expect(await verifyAuthorization(`Bearer ${token}`, opts)).toEqual({ jwks_host: jwks.host });
    jwks.setKeys([newKey.jwk]);
    await new Promise((r) => setTimeout(r, 5));
    expect(await failure(verifyAuthorization(`Bearer ${token}`, opts))).toBe(
      'kid from JWT header not found in API response',
    );
  });

  it('answers from the cache while the JWKS is fresh', async () => {
    const key = await rsaKey('k1');
    jwks = await startJwksServer([key.jwk]);
    const config = makeConfig({ authMode: 'rs256', jwksAllowedHosts: [jwks.origin], publicUrl: ORIGIN });
    const opts = { config, requestOrigin: ORIGIN, secretKey: undefined };
    const token = await rs256(key, { jwks_host: jwks.host, aud: ORIGIN }, { exp: '10m' });
    for (let i = 0; i < 20; i++) await verifyAuthorization(`Bearer ${token}`, opts);
    expect(jwks.hits()).toBe(1);
    expect(verifiedTokenStats().entries).toBe(1);
    // A host taken off the allow-list is refused even for a cached token.
    const narrowed = {
      ...opts,
      config: makeConfig({ ...config, jwksAllowedHosts: ['visibility.amp.cisco.com'] }),
    };
    expect(await failure(verifyAuthorization(`Bearer ${token}`, narrowed))).toMatch(/Wrong jwks_host/);
  });
});
