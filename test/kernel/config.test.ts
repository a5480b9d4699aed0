import { describe, expect, it } from 'vitest';
import { CISCO_JWKS_HOSTS, loadConfig } from '../../src/kernel/config.js';
import { entitiesLimit } from '../../src/kernel/context.js';

describe('environment config', () => {
  it('defaults to rs256 with the Cisco JWKS hosts', () => {
    const c = loadConfig({}, '1.2.3');
    expect(c.authMode).toBe('rs256');
    expect(c.jwksAllowedHosts).toEqual(CISCO_JWKS_HOSTS);
    expect(c.port).toBe(9090);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses lists, numbers and booleans', () => {
    const c = loadConfig(
      {
        AUTH_MODE: 'hs256',
        SECRET_KEY: 'x'.repeat(64),
        JWKS_ALLOWED_HOSTS: 'a.example, http://127.0.0.1:8081',
        PORT: '8080',
        ALLOW_LOOPBACK_UPSTREAMS: 'true',
        RELAY_PUBLIC_URL: 'https://relay.example.com/',
      },
      '1',
    );
    expect(c.jwksAllowedHosts).toEqual(['a.example', 'http://127.0.0.1:8081']);
    expect(c.port).toBe(8080);
    expect(c.allowLoopbackUpstreams).toBe(true);
    expect(c.publicUrl).toBe('https://relay.example.com');
  });

  it.each([
    [{ AUTH_MODE: 'none' }, 'AUTH_MODE'],
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ RELAY_PUBLIC_URL: 'ftp://x' }, 'RELAY_PUBLIC_URL'],
    [{ ALLOW_LOOPBACK_UPSTREAMS: 'maybe' }, 'ALLOW_LOOPBACK_UPSTREAMS'],
    [{ AUTH_MODE: 'hs256', SECRET_KEY: 'short' }, 'SECRET_KEY'],
    [{ NACL_PROTECTED_CIDRS: '10.0.0.0/8, not-a-cidr' }, 'NACL_PROTECTED_CIDRS'],
  ])('fails fast naming the bad variable %o', (env, name) => {
    expect(() => loadConfig(env, '1')).toThrow(name);
  });
});

describe('CTR_ENTITIES_LIMIT', () => {
  it.each([
    [undefined, 100],
    ['abc', 100],
    ['0', 100],
    ['-5', 100],
    ['1.5', 100],
    ['7', 7],
    [' 20 ', 20],
  ])('%s gives %d', (raw, expected) => {
    expect(entitiesLimit(raw)).toBe(expected);
  });
});
