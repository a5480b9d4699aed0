/**
 * Authorization headers for Vectra calls. A v2.5 API token is used as is. OAuth2
 * client-credential tokens (v3 platform, v2.5 API clients) are cached at module
 * scope per token URL + client id + SHA-256 of the secret, shared by
 * concurrent callers (one in-flight token request per key), refreshed before
 * `expires_in` runs out — with the refresh token when the brain gave one,
 * falling back to client credentials when the refresh is refused.
 */
import { createHash } from 'node:crypto';
import { BoundedCache } from '../../kernel/bounded-cache.js';
import { RelayError } from '../../kernel/errors.js';
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

const cache = new BoundedCache<string, CachedToken>({
  ...TOKEN_CACHE_LIMITS,
  sizeOf: (t, key) => key.length + t.accessToken.length + (t.refreshToken?.length ?? 0) + 64,
});
const inFlight = new Map<string, Promise<CachedToken>>();

/** Entries and measured bytes of the token cache (tests, bench). */
export const tokenCacheStats = () => ({ entries: cache.size, bytes: cache.bytes });

/** Forgets every cached token (tests). */
export function clearTokenCache(): void {
  cache.clear();
  inFlight.clear();
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
export function invalidate(auth: VectraAuth, header: string): void {
  if (auth.kind !== 'oauth') return;
  const key = cacheKey(auth);
  const cur = cache.get(key);
  if (cur && `Bearer ${cur.accessToken}` === header) cache.delete(key);
}

function oauthToken(auth: OAuth, transport: Transport): Promise<CachedToken> {
  const key = cacheKey(auth);
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
    const detail =
      (fromConfiguredOrigin(auth, transport) ? oauthDetail(res.body, transport) : undefined) ??
      transport.statusError(res.raw).message.replace(/^Authorization failed: /, '');
    throw new RelayError('authorization error', `Authorization failed: ${detail}`, {
      ownMessage: `Authorization failed: ${VENDOR} refused the client credentials.`,
    });
  }
  throw transport.statusError(res.raw);
}

/**
 * Whether an OAuth answer may be quoted to the analyst: only the answer of a
 * completed HTTP exchange with the configured brain origin. `tokenCall` only
 * has a response once the exchange completed, and the transport refuses any
 * URL off its origin, so this holds by construction; the check keeps it so
 * if the token URL ever comes from elsewhere. The deployment's upstream
 * address policy (which addresses a token's URL may reach) is enforced by the
 * transport before it connects, so a completed exchange is one with a
 * policy-allowed target: a refused or unreachable target yields the
 * transport's own connection error, never upstream text.
 */
function fromConfiguredOrigin(auth: OAuth, transport: Pick<Transport, 'origin'>): boolean {
  try {
    return new URL(auth.tokenUrl).origin === transport.origin;
  } catch {
    return false;
  }
}

/** Longest OAuth error description shown (characters, before escaping). */
export const MAX_OAUTH_DETAIL = 200;

/**
 * An RFC 6749 §5.2 error body (`{error, error_description}`, what token
 * endpoints answer) as one line for an analyst: our secrets and token-like
 * strings scrubbed, cut to `MAX_OAUTH_DETAIL` characters and markdown-escaped
 * (XDR renders error messages as markdown). Undefined for any other body.
 */
export function oauthDetail(body: unknown, transport: Pick<Transport, 'scrub'>): string | undefined {
  const b = (body ?? {}) as { error?: unknown; error_description?: unknown };
  const code = typeof b.error === 'string' ? b.error : undefined;
  const text = typeof b.error_description === 'string' && b.error_description ? b.error_description : code;
  if (text === undefined) return undefined;
  let line = transport.scrub(text.replace(/\s+/g, ' ').trim());
  if (line.length > MAX_OAUTH_DETAIL) line = `${line.slice(0, MAX_OAUTH_DETAIL - 1)}…`;
  // Inline markdown only: emphasis, code, links, html and table pipes.
  const escaped = line.replace(/([\\`*_[\]()#|<>~])/g, '\\$1');
  return code && text !== code ? `${escaped} (${code.replace(/([\\`*_])/g, '\\$1')})` : escaped;
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
