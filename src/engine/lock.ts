/**
 * The CLI's single-run guard: a lock file created exclusively (`wx`, O_EXCL)
 * holding the owner's token, `<pid> <random nonce>`. A lock whose pid is dead
 * (crash, kill -9) or is our own pid (a restarted container reuses pids, so a
 * lock left by the previous incarnation names us; unless this process holds
 * that very token) is stale and taken over:
 * unlinked, then created again with `wx`, so of two starters removing the same
 * stale lock only one wins the create; the other sees the winner's lock and
 * refuses. Release removes the file only while it still holds our token (a
 * lock taken over meanwhile is left to its owner). A live owner makes the
 * second run refuse to start. (The Lambda needs none: its reserved
 * concurrency is 1.) Dependency-free.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { withKeyLock } from '../kernel/keyed-lock.js';

export class LockBusyError extends Error {
  override readonly name = 'LockBusyError';
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Tokens of the locks this process holds: our pid in a lock is stale unless the token is one of these. */
const ours = new Set<string>();

/** The pid a lock file names (its first word), or `undefined`. */
const pidOf = (text: string): number | undefined => {
  const pid = Number(text.split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
};

/**
 * Removes the stale lock judged from `seen`. A plain unlink could remove a
 * fresh lock another starter created after our read; instead the file is
 * moved aside atomically (one mover wins) and checked: if it is not the lock
 * we judged, it is put back (`link` refuses to overwrite) and we give way.
 */
async function removeStale(path: string, seen: string, token: string): Promise<void> {
  const aside = `${path}.${token.replace(/\s+/g, '-')}.stale`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it
    throw err;
  }
  const moved = (await readFile(aside, 'utf8').catch(() => '')).trim();
  if (moved !== seen) {
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    throw new LockBusyError(`Another engine run took ${path} meanwhile`);
  }
  await unlink(aside).catch(() => undefined);
}

/**
 * Takes the lock or throws `LockBusyError`; returns the release function.
 * Attempts within one process are serialised; across processes the stale
 * takeover leaves one narrow window (a third starter creating its lock between
 * another's move-aside and put-back), which the CLI accepts: runs are minutes
 * apart and the engine's operations are idempotent besides.
 */
export function acquireLock(path: string): Promise<() => Promise<void>> {
  return withKeyLock(`engine-lock|${path}`, async () => {
    const token = `${process.pid} ${randomBytes(16).toString('hex')}`;
    // Known before the file exists, so a later acquire in this process never takes it for stale.
    ours.add(token);
    try {
      return await take(path, token);
    } catch (err) {
      ours.delete(token);
      throw err;
    }
  });
}

async function take(path: string, token: string): Promise<() => Promise<void>> {
  // Two attempts: the first create, and one more after removing a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(`${token}\n`);
      } finally {
        await fh.close();
      }
      return async () => {
        ours.delete(token);
        const held = (await readFile(path, 'utf8').catch(() => '')).trim();
        if (held === token) await unlink(path).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = (await readFile(path, 'utf8').catch(() => '')).trim();
      const pid = pidOf(text);
      // Our own pid is a live run only if this process holds that lock; otherwise
      // it was left by an earlier process that had our pid (restarted container).
      const live = pid === process.pid ? ours.has(text) : pid !== undefined && alive(pid);
      if (live) {
        throw new LockBusyError(`Another engine run (pid ${pid}) holds ${path}`);
      }
      // An empty file may be a lock being written right now: only an old one is stale.
      const age = Date.now() - ((await stat(path).catch(() => null))?.mtimeMs ?? 0);
      if (text === '' && age < 60_000) throw new LockBusyError(`Another engine run is starting (${path})`);
      if (attempt > 0) break;
      await removeStale(path, text, token);
    }
  }
  throw new LockBusyError(`Could not take the lock ${path}`);
}
