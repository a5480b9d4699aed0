/**
 * Where collection jobs and their results live: an object store with keys
 * like S3's. In AWS it is the stack's bucket (`s3-store.ts`); locally and in
 * the sandbox a directory (`DirStore`). Keys are ours (never from a token or
 * an upstream answer unchecked) and confined to the store.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface ObjectStore {
  /** What a note or a log may name: `s3://bucket` or `dir:/path`. */
  readonly location: string;
  put(key: string, body: Buffer | string, contentType: string): Promise<void>;
  /** `undefined` when the key does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  /** Keys under a prefix (at most `max`). */
  list(prefix: string, max?: number): Promise<string[]>;
  delete(key: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9!_.*'()/-]{1,900}$/;

export function checkKey(key: string): string {
  if (!KEY.test(key) || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new TypeError(`Invalid object key ${JSON.stringify(key.slice(0, 80))}`);
  }
  return key;
}

/** A directory standing in for the bucket (local server, sandbox, tests). */
export class DirStore implements ObjectStore {
  readonly location: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = `dir:${this.root}`;
  }

  private path(key: string): string {
    const p = resolve(this.root, checkKey(key));
    if (!p.startsWith(this.root + sep)) throw new TypeError('Object key leaves the store');
    return p;
  }

  async put(key: string, body: Buffer | string, _contentType?: string): Promise<void> {
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, body, { mode: 0o600 });
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(prefix: string, max = 1000): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (out.length >= max) return;
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else {
          const key = relative(this.root, p).split(sep).join('/');
          if (key.startsWith(prefix)) out.push(key);
        }
      }
    };
    await walk(this.root);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
