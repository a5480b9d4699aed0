/** Shared setup for the Vectra tests: a fake brain, a config for either flavour, a context. */
import { afterAll, afterEach, beforeEach } from 'vitest';
import { CacheRegistry } from '../../../src/kernel/caches.js';
import type { RelayConfig } from '../../../src/kernel/config.js';
import type { RequestContext } from '../../../src/kernel/context.js';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import {
  type FakeBrain,
  type FakeBrainOptions,
  startFakeBrain,
} from '../../../src/sandbox/vectra-brain/index.js';
import { clearTokenCache } from '../../../src/vendors/vectra/auth.js';
import { VectraClient, type VectraClientOptions } from '../../../src/vendors/vectra/client.js';
import { parseVectraConfig, type VectraConfig } from '../../../src/vendors/vectra/config.js';
import { makeContext } from '../../helpers/context.js';

export type Flavour = 'v2.5' | 'v3';

export const FAST_RETRY = {
  maxRateLimitRetries: 3,
  maxServerRetries: 2,
  baseBackoffMs: 5,
  maxRetryAfterMs: 5_000,
};

export function claimsFor(brain: FakeBrain, flavour: Flavour, extra: Record<string, string> = {}) {
  const [clientId, secret] = Object.entries(brain.clients)[0] ?? ['', ''];
  return flavour === 'v2.5'
    ? { vectra_url: brain.url, vectra_api_version: 'v2.5', vectra_token: brain.apiToken, ...extra }
    : {
        vectra_url: brain.url,
        vectra_api_version: 'v3',
        vectra_client_id: clientId,
        vectra_client_secret: secret,
        ...extra,
      };
}

export function ctxFor(
  overrides: Partial<Omit<RequestContext, 'config'>> & { config?: Partial<RelayConfig> } = {},
): RequestContext {
  return makeContext({
    caches: runtimeCaches,
    ...overrides,
    config: { allowLoopbackUpstreams: true, ...overrides.config },
  });
}

export function configFor(
  brain: FakeBrain,
  flavour: Flavour,
  extra: Record<string, string> = {},
): VectraConfig {
  const cfg = parseVectraConfig(claimsFor(brain, flavour, extra), ctxFor().config);
  if (!cfg) throw new Error('not configured');
  return cfg;
}

export function clientFor(
  brain: FakeBrain,
  flavour: Flavour,
  opts: { ctx?: RequestContext; client?: VectraClientOptions } = {},
): VectraClient {
  return new VectraClient(configFor(brain, flavour), opts.ctx ?? ctxFor(), {
    retryPolicy: FAST_RETRY,
    ...opts.client,
  });
}

/**
 * The caches of the "runtime" the contexts of one brain share (a deployed relay
 * keeps one registry for all its requests); a new brain starts a new one.
 */
let runtimeCaches = new CacheRegistry();

export async function withBrain(options?: FakeBrainOptions): Promise<FakeBrain> {
  runtimeCaches = new CacheRegistry();
  return startFakeBrain(options);
}

/** Requests to API paths (not the token endpoint). */
export const apiCalls = (brain: FakeBrain, fragment = '/api/') =>
  brain.requests.filter((r) => r.path.includes(fragment) && !r.path.endsWith('/oauth2/token'));

/** A fresh seeded brain for every test, closed afterwards (token cache and pools reset). */
export function useFreshBrain(set: (brain: FakeBrain) => void): void {
  let current: FakeBrain | undefined;
  beforeEach(async () => {
    current = await withBrain();
    set(current);
  });
  afterEach(async () => {
    await current?.close();
    clearTokenCache();
  });
  afterAll(() => closeUpstreamPools());
}
