/**
 * Issue 12 item 8: caches a token holder can fill are bounded. Tokens are
 * capped in length and the token cache in entries and bytes; pools per
 * upstream origin and EC2 clients per region/role are bounded and evicted
 * ones closed; CTR_ENTITIES_LIMIT is clamped.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { entitiesLimit, MAX_ENTITIES_LIMIT } from '../../src/kernel/context.js';
import {
  cachedPoolCount,
  closeUpstreamPools,
  MAX_POOLS,
  Transport,
} from '../../src/kernel/upstream/transport.js';
import { startFakeEc2 } from '../../src/sandbox/ec2/index.js';
import { cachedClientCount, MAX_EC2_CLIENTS } from '../../src/vendors/aws-nacl/client.js';
import { awsNaclClient, parseNaclConfig, setAwsClientOverrides } from '../../src/vendors/aws-nacl/index.js';
import {
  authorization,
  clearTokenCache,
  MAX_TOKEN_CHARS,
  TOKEN_CACHE_LIMITS,
  tokenCacheStats,
} from '../../src/vendors/vectra/auth.js';
import { makeContext } from '../helpers/context.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  clearTokenCache();
});
afterAll(() => closeUpstreamPools());

async function tokenServer(tokenChars: number): Promise<string> {
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ access_token: 'a'.repeat(tokenChars), expires_in: 3600 }));
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const oauth = (url: string, i: number) => ({
  kind: 'oauth' as const,
  clientId: `client-${i}`,
  clientSecret: `secret-${i}-xxxxxxxx`,
  tokenUrl: `${url}/oauth2/token`,
  useRefreshToken: false,
});

describe('OAuth token cache', () => {
  it('refuses tokens longer than the cap instead of keeping them', async () => {
    const url = await tokenServer(MAX_TOKEN_CHARS + 1);
    const ctx = makeContext();
    const t = new Transport({ product: 'Vectra Detect', urlField: 'vectra_url', baseUrl: url }, ctx);
    await expect(authorization(oauth(url, 1), t)).rejects.toMatchObject({ code: 'unknown' });
    expect(tokenCacheStats(ctx.caches).entries).toBe(0);
  });

  it('stays within its byte budget with many distinct clients', async () => {
    const url = await tokenServer(MAX_TOKEN_CHARS);
    const ctx = makeContext();
    const t = new Transport({ product: 'Vectra Detect', urlField: 'vectra_url', baseUrl: url }, ctx);
    for (let i = 0; i < 300; i++) await authorization(oauth(url, i), t);
    const stats = tokenCacheStats(ctx.caches);
    expect(stats.bytes).toBeLessThanOrEqual(TOKEN_CACHE_LIMITS.maxBytes);
    expect(stats.entries).toBeLessThan(300);
  });
});

describe('upstream pools', () => {
  it('keeps at most MAX_POOLS origins (a pool is made by the first call to its origin)', async () => {
    const ctx = makeContext();
    // Closed loopback ports: each call fails at once, after its origin's pool was made.
    for (let i = 0; i < MAX_POOLS + 10; i++) {
      const url = `http://127.0.0.1:${i + 1}`;
      await new Transport({ product: 'X', urlField: 'x_url', baseUrl: url }, ctx)
        .send({ method: 'GET', url: `${url}/`, idempotent: false })
        .catch(() => undefined);
    }
    expect(cachedPoolCount(ctx.caches)).toBe(MAX_POOLS);
  });
});

describe('EC2 clients', () => {
  it('keeps at most MAX_EC2_CLIENTS (region, role) pairs', async () => {
    const fake = await startFakeEc2();
    setAwsClientOverrides({ ec2: { endpoint: fake.url }, sts: { endpoint: fake.url } });
    try {
      const ctx = makeContext();
      for (let i = 0; i < MAX_EC2_CLIENTS + 8; i++) {
        const cfg = parseNaclConfig(
          {
            block_clients: 'aws_nacl',
            aws_region: 'eu-west-1',
            aws_nacl_ids: fake.naclIds.join(','),
            aws_role_arn: `arn:aws:iam::123456789012:role/r${i}`,
          },
          ctx.config,
        );
        await awsNaclClient.create(cfg, ctx).health?.();
      }
      expect(cachedClientCount(ctx.caches)).toBe(MAX_EC2_CLIENTS);
    } finally {
      setAwsClientOverrides();
      await fake.close();
    }
  });
});

describe('CTR_ENTITIES_LIMIT', () => {
  it('is clamped to 1,000', () => {
    expect(MAX_ENTITIES_LIMIT).toBe(1000);
    expect(entitiesLimit('1000000')).toBe(1000);
    expect(entitiesLimit('99999999999999999999')).toBe(1000);
    expect(entitiesLimit('250')).toBe(250);
  });
});
