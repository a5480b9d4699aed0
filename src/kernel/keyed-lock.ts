/**
 * Serialises work per key inside one process (one Lambda container or the
 * local server), so two concurrent triggers on the same host run one after
 * the other and the second sees the first's result. Across processes the
 * operations themselves are idempotent; this only removes needless races.
 */
const tails = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call with the same key; tells it whether it had to wait. */
export async function withKeyLock<T>(key: string, fn: (waited: boolean) => Promise<T>): Promise<T> {
  const previous = tails.get(key);
  const run = (previous ?? Promise.resolve()).catch(() => undefined).then(() => fn(previous !== undefined));
  tails.set(key, run);
  try {
    return await run;
  } finally {
    if (tails.get(key) === run) tails.delete(key);
  }
}
