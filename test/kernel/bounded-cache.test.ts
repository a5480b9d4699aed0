import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/kernel/bounded-cache.js';

describe('BoundedCache', () => {
  it('keeps at most maxEntries, evicting the least recently used and telling onEvict', () => {
    const evicted: string[] = [];
    const c = new BoundedCache<string, number>({ maxEntries: 2, onEvict: (_v, k) => evicted.push(k) });
    c.set('a', 1);
    c.set('b', 2);
    c.get('a'); // b is now the least recently used
    c.set('c', 3);
    expect([c.has('a'), c.has('b'), c.has('c')]).toEqual([true, false, true]);
    expect(evicted).toEqual(['b']);
  });

  it('keeps total bytes under maxBytes and refuses an entry larger than the whole budget', () => {
    const c = new BoundedCache<string, string>({ maxEntries: 100, maxBytes: 10, sizeOf: (v) => v.length });
    c.set('a', '12345');
    c.set('b', '12345');
    c.set('c', '123');
    expect(c.bytes).toBeLessThanOrEqual(10);
    expect(c.has('a')).toBe(false);
    c.set('huge', 'x'.repeat(11));
    expect(c.has('huge')).toBe(false);
  });

  it('drops entries older than maxAgeMs', async () => {
    const c = new BoundedCache<string, number>({ maxEntries: 5, maxAgeMs: 20 });
    c.set('a', 1);
    await new Promise((r) => setTimeout(r, 40));
    expect(c.get('a')).toBeUndefined();
  });
});
