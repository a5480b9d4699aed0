/**
 * Repository paths and the "run as a script" check shared by the tooling in
 * `scripts/`, `bench/` and `cdk/`. Paths are resolved from this file, never
 * from the current directory, so the tools work from any working directory
 * (`cdk synth` runs in `cdk/`).
 */
import { realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root. */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Resolves a path relative to the repository root. */
export const fromRoot = (...parts: string[]): string => resolve(REPO_ROOT, ...parts);

/** True when the module at `metaUrl` is the process entry point (`tsx scripts/x.ts`), not an import. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(fileURLToPath(metaUrl)) === realpathSync(entry);
  } catch {
    return false;
  }
}
