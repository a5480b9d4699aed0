/**
 * Every cache of the relay lives in one registry that the runtime creates
 * (`createRuntime`, the engine and collect entry points) and hands down on
 * each call context (`ctx.caches`): OAuth and session tokens, upstream pools
 * and limits, AWS clients, rate pacers, NACL rule reservations. Each cache is
 * a `BoundedCache` (entries, bytes, age; evicted pools closed), created on
 * first use under its name. A test builds its own registry per context, so
 * nothing needs resetting between tests; `close()` empties every cache
 * (closing pools) when a process shuts down.
 */
import { BoundedCache, type BoundedCacheOptions } from './bounded-cache.js';

/** What the registry needs of each cache, whatever its key and value types. */
interface Held {
  readonly size: number;
  clear(): void;
}

export class CacheRegistry {
  private readonly caches = new Map<string, Held>();

  /** The cache called `name`, created with `opts` the first time it is asked for. */
  cache<K extends {}, V extends {}>(name: string, opts: BoundedCacheOptions<K, V>): BoundedCache<K, V> {
    let c = this.caches.get(name) as BoundedCache<K, V> | undefined;
    if (!c) {
      c = new BoundedCache<K, V>(opts);
      this.caches.set(name, c);
    }
    return c;
  }

  /** Entries held per cache (benchmarks and memory checks). */
  sizes(): Record<string, number> {
    return Object.fromEntries([...this.caches].map(([name, c]) => [name, c.size]));
  }

  /** Empties every cache; evicted pools are closed by their caches' `onEvict`. */
  close(): void {
    for (const c of this.caches.values()) c.clear();
  }
}

/**
 * The registry of contexts built without one (scripts and benchmarks that
 * make a context by hand). Deployed code always passes the runtime's.
 */
export const processCaches = new CacheRegistry();

export const cachesOf = (ctx: { readonly caches?: CacheRegistry }): CacheRegistry =>
  ctx.caches ?? processCaches;
