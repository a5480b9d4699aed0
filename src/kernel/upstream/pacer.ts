/**
 * Paces calls to an upstream that documents a rate limit (e.g. 100 calls per
 * minute and 1,500 per hour): sliding windows of recent call times, kept per
 * key in the runtime's caches so every request of a warm process shares them. A call
 * that would have to wait past the request's deadline fails at once with
 * `too many requests`, instead of hanging until the deadline kills it.
 * In-process only: the upstream's 429 (mapped by the transport) covers the rest.
 */
import type { CacheRegistry } from '../caches.js';
import { RelayError } from '../errors.js';

export interface RateWindow {
  readonly calls: number;
  readonly perMs: number;
}

export class Pacer {
  /** Call times per window, oldest first; each list holds at most `calls` entries. */
  private readonly times: number[][];

  constructor(
    private readonly product: string,
    private readonly windows: readonly RateWindow[],
  ) {
    this.times = windows.map(() => []);
  }

  /** How long the next call must wait (ms) for every window to have room. */
  waitMs(now = Date.now()): number {
    let wait = 0;
    this.windows.forEach((w, i) => {
      const list = this.times[i] as number[];
      while (list.length > 0 && (list[0] as number) <= now - w.perMs) list.shift();
      if (list.length >= w.calls) wait = Math.max(wait, (list[0] as number) + w.perMs - now);
    });
    return wait;
  }

  /** Takes one slot, waiting for it when that fits before `deadline`. */
  async take(deadline: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.waitMs();
      if (wait <= 0) break;
      if (Date.now() + wait + 50 >= deadline) {
        throw new RelayError(
          'too many requests',
          `Too many requests to ${this.product}: its rate limit allows ${describe(this.windows)}. Please, try again in ${Math.ceil(wait / 1000)} s.`,
        );
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, wait);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (signal?.aborted)
        throw new RelayError(
          'service unavailable',
          `The ${this.product} did not answer in time. Please, try again later.`,
        );
    }
    const now = Date.now();
    for (const list of this.times) list.push(now);
  }
}

const describe = (windows: readonly RateWindow[]) =>
  windows
    .map(
      (w) =>
        `${w.calls} calls per ${w.perMs >= 3_600_000 ? 'hour' : w.perMs >= 60_000 ? 'minute' : `${w.perMs} ms`}`,
    )
    .join(' and ');

const MAX_PACERS = 1000;

/** The shared pacer for `key` (an origin plus a tenant) in the runtime's caches; bounded. */
export function pacerFor(
  caches: CacheRegistry,
  key: string,
  product: string,
  windows: readonly RateWindow[],
): Pacer {
  const pacers = caches.cache<string, Pacer>('pacers', { maxEntries: MAX_PACERS });
  let p = pacers.get(key);
  if (!p) {
    p = new Pacer(product, windows);
    pacers.set(key, p);
  }
  return p;
}
