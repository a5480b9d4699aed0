import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { warmUp } from '../../src/handlers/warm.js';
import { makeConfig, type RelayConfig } from '../../src/kernel/config.js';
import { createLogger } from '../../src/kernel/logger.js';
import { createApp } from '../../src/relay/app.js';
import { clearJwksCache, verifyAuthorization } from '../../src/relay/auth.js';
import { type JwksServer, rs256, rsaKey, startJwksServer, TEST_SECRET } from '../helpers/jwt.js';

const runtimeWith = (config: RelayConfig) => ({
  config,
  log: createLogger('SILENT'),
  app: createApp({ config, log: createLogger('SILENT'), secretKey: async () => TEST_SECRET, vendors: [] }),
});

beforeEach(() => clearJwksCache());

describe('the Lambda init warm-up', () => {
  it('runs and times every step, leaving out the skipped ones', async () => {
    const runtime = runtimeWith(makeConfig({ authMode: 'hs256' }));
    const timings = await warmUp(runtime, {
      secretKey: async () => TEST_SECRET,
      moduleKey: async () => undefined,
      skip: new Set(['vectra']),
    });
    expect(Object.keys(timings).sort()).toEqual(['jose', 'jwks', 'keys', 'response', 'router']);
    for (const ms of Object.values(timings)) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('never fails the init, and waits for the network only up to its budget', async () => {
    const runtime = runtimeWith(makeConfig({ authMode: 'hs256' }));
    const failing = await warmUp(runtime, {
      secretKey: async () => {
        throw new Error('Secrets Manager is down');
      },
      moduleKey: async () => undefined,
      skip: new Set(['vectra']),
    });
    expect(failing.keys).toBeDefined();
    const hanging = await warmUp(runtime, {
      secretKey: () => new Promise<never>(() => undefined),
      moduleKey: async () => undefined,
      skip: new Set(['vectra']),
      networkBudgetMs: 50,
    });
    expect(hanging.keys).toBeUndefined(); // still waiting when the budget ran out
    expect(hanging.response).toBeDefined();
  });

  describe('rs256 with one allow-listed JWKS host', () => {
    let jwks: JwksServer;
    afterAll(() => jwks?.close());

    it('fetches its key set once, so that the first token does not wait for it', async () => {
      const key = await rsaKey('k1');
      jwks = await startJwksServer([key.jwk]);
      const origin = 'https://relay.example.com';
      const config = makeConfig({ authMode: 'rs256', jwksAllowedHosts: [jwks.origin], publicUrl: origin });
      await warmUp(runtimeWith(config), {
        secretKey: async () => undefined,
        moduleKey: async () => undefined,
        skip: new Set(['vectra']),
      });
      expect(jwks.hits()).toBe(1);
      const token = await rs256(key, { jwks_host: jwks.host, aud: origin }, { exp: '5m' });
      await verifyAuthorization(`Bearer ${token}`, { config, requestOrigin: origin, secretKey: undefined });
      expect(jwks.hits()).toBe(1);
    });
  });
});
