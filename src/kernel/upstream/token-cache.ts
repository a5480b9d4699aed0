/**
 * OAuth2 client-credential access tokens, kept in the runtime's caches (a
 * warm Lambda reuses them) per token URL + client id + SHA-256 of the secret,
 * so a token is never shared between credentials. Bounded in entries and
 * bytes (least recently used first); a token longer than `MAX_TOKEN_CHARS` is
 * refused, never cached. Concurrent callers share one in-flight request.
 */
import { createHash } from 'node:crypto';
import type { BoundedCache } from '../bounded-cache.js';
import type { CacheRegistry } from '../caches.js';
import { RelayError } from '../errors.js';

/** Longest access token kept (characters); real ones are a few KB. */
export const MAX_TOKEN_CHARS = 16 * 1024;
export const TOKEN_LIMITS = { maxEntries: 256, maxBytes: 2 * 1024 * 1024 } as const;

export interface IssuedToken {
  readonly accessToken: string;
  /** Lifetime in seconds, as the token endpoint said (`expires_in`). */
  readonly expiresIn: number;
}

interface Entry {
  readonly accessToken: string;
  /** Epoch ms after which the token is no longer used. */
  readonly useUntil: number;
}

export class TokenCache {
  private constructor(
    private readonly product: string,
    private readonly entries: BoundedCache<string, Entry>,
    private readonly inFlight: BoundedCache<string, Promise<Entry>>,
  ) {}

  /** The token cache of `product` in a runtime's caches. */
  static of(caches: CacheRegistry, product: string): TokenCache {
    return new TokenCache(
      product,
      caches.cache<string, Entry>(`${product}-tokens`, {
        ...TOKEN_LIMITS,
        sizeOf: (e, key) => key.length + e.accessToken.length + 32,
      }),
      caches.cache<string, Promise<Entry>>(`${product}-token-requests`, {
        maxEntries: TOKEN_LIMITS.maxEntries,
      }),
    );
  }

  static key(tokenUrl: string, clientId: string, secret: string, extra = ''): string {
    return `${tokenUrl}|${clientId}|${extra}|${createHash('sha256').update(secret).digest('hex')}`;
  }

  /** A valid access token for `key`, fetching one with `issue` when none is cached. */
  async get(key: string, issue: () => Promise<IssuedToken>): Promise<string> {
    const cur = this.entries.get(key);
    if (cur && cur.useUntil > Date.now()) return cur.accessToken;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = issue().then((t) => {
        if (t.accessToken.length > MAX_TOKEN_CHARS) {
          throw new RelayError(
            'unknown',
            `Unexpected response from ${this.product}: the access token is longer than ${MAX_TOKEN_CHARS} characters.`,
          );
        }
        // Stop using it before it expires: 10% of its lifetime, at most 60 s, early.
        const margin = Math.min(60_000, t.expiresIn * 100);
        const entry = { accessToken: t.accessToken, useUntil: Date.now() + t.expiresIn * 1000 - margin };
        this.entries.set(key, entry);
        return entry;
      });
      this.inFlight.set(key, pending);
      void pending.finally(() => this.inFlight.delete(key)).catch(() => undefined);
    }
    return (await pending).accessToken;
  }

  /** Drops a token the upstream refused, so the next call fetches a fresh one. */
  invalidate(key: string, accessToken: string): void {
    if (this.entries.get(key)?.accessToken === accessToken) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.inFlight.clear();
  }
}
