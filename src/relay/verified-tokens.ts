/**
 * Verified JWT claims, kept so that each token is verified once: XDR sends the
 * same token with every request of a module. An entry is keyed by a SHA-256
 * digest of the mode, the expected audience and the token (never the token
 * itself), holds the claims as verified (module key included: the caller
 * re-checks it on every hit) and the key object that verified the signature.
 * A hit counts only while that key is still the one the deployment would use
 * now — the same HS256 KeyObject (a new SECRET_KEY imports a new one), or the
 * key the JWKS set answers for the token's `kid` (a rotated or reloaded set
 * answers a different object) — and while `exp`/`nbf` still hold; otherwise
 * the entry is dropped and the token is verified again in full.
 *
 * Bounded in entries and bytes (the relay's one `BoundedCache`), each entry
 * until its `exp`, or `NO_EXP_TTL_MS` without one.
 */
import { createHash } from 'node:crypto';
import { BoundedCache } from '../kernel/bounded-cache.js';

/** Entries at most (one per module instance and token lifetime is the usual load). */
export const MAX_ENTRIES = 1000;
/** Bytes at most: token length plus claims, as counted by `entrySize`. */
export const MAX_BYTES = 4 * 1024 * 1024;
/** How long a token without `exp` is kept verified. */
export const NO_EXP_TTL_MS = 60_000;

export interface VerifiedToken {
  /** The claims as verified, before the module key is checked and dropped. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** The key object that verified the signature (identity compared on every hit). */
  readonly key: unknown;
  /** The protected header fields the key lookup needs again (`alg`, `kid`). */
  readonly header: { readonly alg: string; readonly kid?: string };
  readonly exp?: number;
  readonly nbf?: number;
  /** Bytes charged against `MAX_BYTES`. */
  readonly size: number;
}

interface Entry {
  readonly token: VerifiedToken;
  /** Epoch ms after which the entry is dropped (its `exp` plus tolerance, or `NO_EXP_TTL_MS`). */
  readonly until: number;
}

const cache = new BoundedCache<string, Entry>({
  maxEntries: MAX_ENTRIES,
  maxBytes: MAX_BYTES,
  sizeOf: (e) => e.token.size,
});

/** The cache key: a digest, so that no token is held as a key. */
export const tokenDigest = (mode: string, audience: string, token: string): string =>
  createHash('sha256').update(`${mode}\0${audience}\0${token}`).digest('base64url');

/** Bytes an entry holds (the token's length bounds its claims; the digest key is fixed). */
export const entrySize = (token: string): number => 2 * token.length + 256;

/**
 * The entry for `digest` while `exp`/`nbf` (with `toleranceS`) hold at `nowS`;
 * an entry past them is dropped so that full verification answers the error.
 */
export function lookup(digest: string, nowS: number, toleranceS: number): VerifiedToken | undefined {
  const entry = cache.get(digest);
  if (!entry) return undefined;
  const hit = entry.token;
  const expired = hit.exp !== undefined && nowS - toleranceS >= hit.exp;
  const early = hit.nbf !== undefined && nowS + toleranceS < hit.nbf;
  if (expired || early || nowS * 1000 >= entry.until) {
    cache.delete(digest);
    return undefined;
  }
  return hit;
}

/** Keeps a verified token until its `exp` (or `NO_EXP_TTL_MS`). */
export function remember(digest: string, entry: VerifiedToken, nowMs: number, toleranceS: number): void {
  const ttl = entry.exp === undefined ? NO_EXP_TTL_MS : (entry.exp + toleranceS) * 1000 - nowMs;
  if (ttl <= 0) return;
  cache.set(digest, { token: entry, until: nowMs + ttl });
}

export const forget = (digest: string): void => {
  cache.delete(digest);
};

/** Empties the cache (tests, and a deployment key that changed). */
export const clearVerifiedTokens = (): void => cache.clear();

/** Entries and bytes held (tests, benchmarks). */
export const verifiedTokenStats = (): { entries: number; bytes: number } => ({
  entries: cache.size,
  bytes: cache.bytes,
});
