/** The CLI lock: stale own-pid locks, unique tokens, release by token, one winner. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, LockBusyError } from '../../src/engine/lock.js';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-lock-'));
  path = join(dir, 'lock');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid no process has (above Linux's pid_max). */
const DEAD = 2 ** 30;

describe('the CLI lock', () => {
  it('writes a unique token: pid and a random nonce', async () => {
    const release = await acquireLock(path);
    const token = (await readFile(path, 'utf8')).trim();
    expect(token).toMatch(new RegExp(`^${process.pid} [0-9a-f]{32}$`));
    await release();
    const again = await acquireLock(path);
    expect((await readFile(path, 'utf8')).trim()).not.toBe(token);
    await again();
  });

  it('takes over a lock naming our own pid left by an earlier process (restarted container)', async () => {
    await writeFile(path, `${process.pid}\n`);
    const release = await acquireLock(path);
    expect((await readFile(path, 'utf8')).startsWith(`${process.pid} `)).toBe(true);
    await release();
  });

  it('refuses while this process holds the lock', async () => {
    const release = await acquireLock(path);
    await expect(acquireLock(path)).rejects.toBeInstanceOf(LockBusyError);
    await release();
  });

  it('releases only a lock that still holds its token', async () => {
    const release = await acquireLock(path);
    // Taken over meanwhile (e.g. judged stale by another starter).
    await writeFile(path, `${DEAD} someone-else\n`);
    await release();
    expect(await readFile(path, 'utf8')).toBe(`${DEAD} someone-else\n`);
  });

  it('refuses while a live process holds it; takes over a dead one', async () => {
    await writeFile(path, `${process.ppid} other\n`);
    await expect(acquireLock(path)).rejects.toBeInstanceOf(LockBusyError);
    await writeFile(path, `${DEAD} gone\n`);
    const release = await acquireLock(path);
    await release();
  });

  it('of concurrent starters over a stale lock exactly one wins', async () => {
    await writeFile(path, `${DEAD} gone\n`);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => acquireLock(path)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockBusyError);
    await (won[0] as PromiseFulfilledResult<() => Promise<void>>).value();
  });
});
