/**
 * Serialises work per key inside one process (one Lambda container or the
 * local server), so two concurrent triggers on the same host run one after
 * the other and the second sees the first's result. Across processes the
 * operations themselves are idempotent; this only removes needless races.
 */
const tails = new Map<string, Promise<unknown>>();

export async function withKeyLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(fn);
  tails.set(key, run);
  try {
    return await run;
  } finally {
    if (tails.get(key) === run) tails.delete(key);
  }
}
