/**
 * The CLI's single-run guard: a lock file created with O_EXCL holding the
 * owner's pid. A lock left by a dead process (crash, kill -9) is taken over;
 * a live owner makes the second run refuse to start. (The Lambda needs none:
 * its reserved concurrency is 1.)
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';

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

/** Takes the lock or throws `LockBusyError`; returns the release function. */
export async function acquireLock(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const text = (await readFile(path, 'utf8').catch(() => '')).trim();
      const pid = Number(text);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new LockBusyError(`Another engine run (pid ${pid}) holds ${path}`);
      }
      // An empty file may be a lock being written right now: only an old one is stale.
      const age = Date.now() - ((await stat(path).catch(() => null))?.mtimeMs ?? 0);
      if (text === '' && age < 60_000) throw new LockBusyError(`Another engine run is starting (${path})`);
      await unlink(path).catch(() => undefined);
    }
  }
  throw new LockBusyError(`Could not take the lock ${path}`);
}
