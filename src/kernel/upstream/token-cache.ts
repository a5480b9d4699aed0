/**
 * OAuth2 client-credential access tokens, cached at module scope (a warm
 * Lambda reuses them) per token URL + client id + SHA-256 of the secret, so a
 * token is never shared between credentials. Bounded: the oldest entry is
 * evicted past `max`. Concurrent callers share one in-flight token request.
 */
import { createHash } from 'node:crypto';

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
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Entry>>();

  constructor(private readonly max = 256) {}

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
        // Stop using it before it expires: 10% of its lifetime, at most 60 s, early.
        const margin = Math.min(60_000, t.expiresIn * 100);
        const entry = { accessToken: t.accessToken, useUntil: Date.now() + t.expiresIn * 1000 - margin };
        this.entries.delete(key);
        this.entries.set(key, entry);
        while (this.entries.size > this.max) {
          const oldest = this.entries.keys().next().value;
          if (oldest === undefined) break;
          this.entries.delete(oldest);
        }
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
