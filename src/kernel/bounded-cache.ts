/**
 * The one bounded cache of the relay: every module-scope cache (OAuth tokens,
 * upstream pools, AWS clients) is one of these, so a token holder who varies
 * URLs, client ids or regions cannot grow the process without limit.
 *
 * A thin layer over `lru-cache`: a limit on entries always, optionally on
 * total bytes (with a per-entry size function) and on age; least recently used
 * entries go first, and `onEvict` runs for every entry that leaves the cache
 * other than by being read back (so pools can be closed and clients destroyed).
 */
import { LRUCache } from 'lru-cache';

export interface BoundedCacheOptions<K, V> {
  /** Most entries held at once. */
  readonly maxEntries: number;
  /** Most bytes held at once, as measured by `sizeOf`; an entry larger than this is not kept. */
  readonly maxBytes?: number;
  readonly sizeOf?: (value: V, key: K) => number;
  /** Entries older than this (ms since set) are dropped on access. */
  readonly maxAgeMs?: number;
  /** Runs when an entry is evicted, expired, deleted, replaced or cleared. */
  readonly onEvict?: (value: V, key: K) => void;
}

export class BoundedCache<K extends {}, V extends {}> {
  private readonly lru: LRUCache<K, V>;

  constructor(opts: BoundedCacheOptions<K, V>) {
    const sizeOf = opts.sizeOf;
    this.lru = new LRUCache<K, V>({
      max: opts.maxEntries,
      ...(opts.maxBytes !== undefined && sizeOf
        ? {
            maxSize: opts.maxBytes,
            maxEntrySize: opts.maxBytes,
            sizeCalculation: (v: V, k: K) => Math.max(1, sizeOf(v, k)),
          }
        : {}),
      ...(opts.maxAgeMs !== undefined ? { ttl: opts.maxAgeMs, ttlAutopurge: false } : {}),
      ...(opts.onEvict ? { dispose: (v: V, k: K) => opts.onEvict?.(v, k) } : {}),
    });
  }

  get(key: K): V | undefined {
    return this.lru.get(key);
  }

  /** Stores the entry (it may be refused when larger than `maxBytes`); evicts LRU entries to fit. */
  set(key: K, value: V): void {
    this.lru.set(key, value);
  }

  delete(key: K): void {
    this.lru.delete(key);
  }

  has(key: K): boolean {
    return this.lru.has(key);
  }

  clear(): void {
    this.lru.clear();
  }

  values(): V[] {
    return [...this.lru.values()];
  }

  get size(): number {
    return this.lru.size;
  }

  /** Total measured bytes (0 without `sizeOf`). */
  get bytes(): number {
    return this.lru.calculatedSize ?? 0;
  }
}
