import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/kernel/config.js';
import { generateSecret, startSandbox, wantsSandbox } from '../../src/sandbox/index.js';

describe('sandbox mode', () => {
  it.each([
    [{}, true],
    [{ SECRET_KEY: 'x'.repeat(64) }, false],
    [{ AUTH_MODE: 'rs256' }, false],
    [{ SECRET_KEY_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:x' }, false],
    [{ JWKS_ALLOWED_HOSTS: 'visibility.amp.cisco.com' }, false],
    [{ RELAY_SANDBOX: 'false' }, false],
    [{ RELAY_SANDBOX: 'true', SECRET_KEY: 'x'.repeat(64) }, true],
  ])('starts for %o: %s', (env, expected) => {
    expect(wantsSandbox(env)).toBe(expected);
  });

  it('generates 64-character alphanumeric secrets', () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(generateSecret()).not.toBe(a);
  });

  it('hands out a relay environment and a JWT that verifies with it', async () => {
    const s = await startSandbox();
    try {
      const config = loadConfig(s.env, '1');
      expect(config.authMode).toBe('hs256');
      expect(config.allowLoopbackUpstreams).toBe(true);
      const { payload } = await jwtVerify(s.jwt, new TextEncoder().encode(s.env.SECRET_KEY), {
        algorithms: ['HS256'],
      });
      expect(payload).toMatchObject({
        vectra_url: s.brain.url,
        aws_nacl_ids: s.naclId,
        block_clients: 'aws_nacl,test_client',
      });
      const state = (await (await fetch(`${s.brain.url}/_state`)).json()) as { hosts: unknown[] };
      expect(Object.keys(state.hosts).length).toBeGreaterThanOrEqual(6);
    } finally {
      await s.close();
    }
  });

  it('refuses plain-http upstreams outside sandbox mode', async () => {
    const { parseVectraConfig } = await import('../../src/vendors/vectra/config.js');
    const config = loadConfig({ AUTH_MODE: 'hs256' }, '1');
    expect(() =>
      parseVectraConfig({ vectra_url: 'http://127.0.0.1:9091', vectra_token: 't' }, config),
    ).toThrow('vectra_url must use https');
  });
});
