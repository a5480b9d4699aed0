/**
 * Authorization headers for Vectra calls. A v2.5 API token is used as is. OAuth2
 * client-credential tokens (v3 platform, v2.5 API clients) are cached at module
 * scope per token URL + client id + SHA-256 of the secret, shared by
 * concurrent callers (one in-flight token request per key), refreshed before
 * `expires_in` runs out — with the refresh token when the brain gave one,
 * falling back to client credentials when the refresh is refused.
 */
import { createHash } from 'node:crypto';
import { type CacheRegistry, processCaches } from '../../kernel/caches.js';
import { authError, RelayError } from '../../kernel/errors.js';
import type { Transport } from '../../kernel/upstream/transport.js';
import type { VectraAuth } from './config.js';
import { VENDOR } from './product.js';

type OAuth = Extract<VectraAuth, { kind: 'oauth' }>;

interface CachedToken {
  readonly accessToken: string;
  /** Epoch ms after which we no longer use the access token. */
  readonly refreshAt: number;
  readonly refreshToken: string | undefined;
  readonly refreshUntil: number;
}

/** Longest access or refresh token we keep (characters); real ones are a few KB at most. */
export const MAX_TOKEN_CHARS = 16 * 1024;
/**
 * Tokens of distinct (URL, client) pairs kept at once: the key and both tokens
 * count against the bytes limit, least recently used go first.
 */
export const TOKEN_CACHE_LIMITS = { maxEntries: 256, maxBytes: 2 * 1024 * 1024 } as const;

const tokensOf = (caches: CacheRegistry) =>
  caches.cache<string, CachedToken>('vectra-oauth-tokens', {
    ...TOKEN_CACHE_LIMITS,
    sizeOf: (t, key) => key.length + t.accessToken.length + (t.refreshToken?.length ?? 0) + 64,
  });
/** Token requests in flight, shared by concurrent callers (bounded like the tokens). */
const inFlightOf = (caches: CacheRegistry) =>
  caches.cache<string, Promise<CachedToken>>('vectra-oauth-inflight', {
    maxEntries: TOKEN_CACHE_LIMITS.maxEntries,
  });

/** Entries and measured bytes of the token cache (tests, bench). */
export const tokenCacheStats = (caches: CacheRegistry = processCaches) => {
  const cache = tokensOf(caches);
  return { entries: cache.size, bytes: cache.bytes };
};

/** Forgets every cached token of a registry (default: the process's). */
export function clearTokenCache(caches: CacheRegistry = processCaches): void {
  tokensOf(caches).clear();
  inFlightOf(caches).clear();
}

const cacheKey = (a: OAuth) =>
  `${a.tokenUrl}|${a.clientId}|${createHash('sha256').update(a.clientSecret).digest('hex')}`;

/** Keep a safety margin of 10% of the lifetime, at most 60 s. */
const margin = (seconds: number) => Math.min(60_000, seconds * 100);

/** The `Authorization` header value for the next API call. */
export async function authorization(auth: VectraAuth, transport: Transport): Promise<string> {
  if (auth.kind === 'token') return `Token ${auth.token}`;
  const token = await oauthToken(auth, transport);
  // Whatever the brain echoes back from now on, these never reach the caller.
  transport.addSecrets(token.accessToken, token.refreshToken);
  return `Bearer ${token.accessToken}`;
}

/** Drops a token the brain refused, so the next call fetches a fresh one. */
export function invalidate(auth: VectraAuth, header: string, caches: CacheRegistry): void {
  if (auth.kind !== 'oauth') return;
  const key = cacheKey(auth);
  const cache = tokensOf(caches);
  const cur = cache.get(key);
  if (cur && `Bearer ${cur.accessToken}` === header) cache.delete(key);
}

function oauthToken(auth: OAuth, transport: Transport): Promise<CachedToken> {
  const key = cacheKey(auth);
  const cache = tokensOf(transport.caches);
  const inFlight = inFlightOf(transport.caches);
  const cur = cache.get(key);
  const now = Date.now();
  if (cur && now < cur.refreshAt) return Promise.resolve(cur);
  let pending = inFlight.get(key);
  if (!pending) {
    pending = fetchToken(auth, transport, cur && now < cur.refreshUntil ? cur.refreshToken : undefined)
      .then((t) => {
        cache.set(key, t);
        return t;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

async function fetchToken(
  auth: OAuth,
  transport: Transport,
  refreshToken: string | undefined,
): Promise<CachedToken> {
  if (auth.useRefreshToken && refreshToken) {
    transport.addSecrets(refreshToken);
    const res = await tokenCall(
      auth,
      transport,
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      false,
    );
    if (res.status === 200) return toCached(res.body);
    if (res.status !== 400 && res.status !== 401) throw transport.statusError(res.raw);
    // A refused refresh token: start over with the client credentials.
  }
  const res = await tokenCall(auth, transport, { grant_type: 'client_credentials' }, true);
  if (res.status === 200) return toCached(res.body);
  if (res.status === 400 || res.status === 401) {
    const code = oauthErrorCode(res.body);
    throw authError(
      `${VENDOR} rejected the API client credentials (HTTP ${res.status}${code ? `, ${code}` : ''}).`,
    );
  }
  throw transport.statusError(res.raw);
}

/** The OAuth error code of a token answer (RFC 6749 §5.2, e.g. `invalid_client`): a code, never prose. */
function oauthErrorCode(body: unknown): string | undefined {
  const code = (body as { error?: unknown } | null)?.error;
  return typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? code : undefined;
}

async function tokenCall(auth: OAuth, transport: Transport, form: Record<string, string>, basic: boolean) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) {
    headers.authorization = `Basic ${Buffer.from(`${auth.clientId}:${auth.clientSecret}`).toString('base64')}`;
  }
  const raw = await transport.send({
    method: 'POST',
    url: auth.tokenUrl,
    headers,
    body: new URLSearchParams(form).toString(),
    idempotent: true,
  });
  let body: unknown;
  try {
    body = JSON.parse(raw.text);
  } catch {
    body = undefined;
  }
  return { status: raw.status, body, raw };
}

function toCached(body: unknown): CachedToken {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.access_token !== 'string' || b.access_token === '') {
    throw new RelayError(
      'unknown',
      `Unexpected response from ${VENDOR}: the token response has no access_token`,
    );
  }
  const refresh = typeof b.refresh_token === 'string' ? b.refresh_token : '';
  if (b.access_token.length > MAX_TOKEN_CHARS || refresh.length > MAX_TOKEN_CHARS) {
    throw new RelayError(
      'unknown',
      `Unexpected response from ${VENDOR}: the token is longer than ${MAX_TOKEN_CHARS} characters`,
    );
  }
  const now = Date.now();
  const ttl = typeof b.expires_in === 'number' && b.expires_in > 0 ? b.expires_in : 300;
  const refreshTtl =
    typeof b.refresh_expires_in === 'number' && b.refresh_expires_in > 0 ? b.refresh_expires_in : 0;
  return {
    accessToken: b.access_token,
    refreshAt: now + ttl * 1000 - margin(ttl),
    refreshToken: typeof b.refresh_token === 'string' && b.refresh_token ? b.refresh_token : undefined,
    refreshUntil: refreshTtl > 0 ? now + refreshTtl * 1000 - margin(refreshTtl) : now + ttl * 1000 * 4,
  };
}
