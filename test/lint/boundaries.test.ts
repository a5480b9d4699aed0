/**
 * Folder boundaries are the linter's (biome `noRestrictedImports`, biome.json):
 * a wrong import fails `npm test`. Each case writes a one-line probe file into
 * the folder, lints it and removes it.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../scripts/lib/paths.js';

let n = 0;
function lint(path: string, source: string): string {
  const probe = path.replace(/([^/]+)\.ts$/, `boundary-probe-${process.pid}-${n++}-$1.ts`);
  writeFileSync(fromRoot(probe), `${source}\n`);
  try {
    const r = spawnSync(
      process.execPath,
      [fromRoot('node_modules/@biomejs/biome/bin/biome'), 'lint', '--only=style/noRestrictedImports', probe],
      { encoding: 'utf8', cwd: fromRoot() },
    );
    return `${r.stdout}${r.stderr}`;
  } finally {
    rmSync(fromRoot(probe), { force: true });
  }
}

describe('folder boundaries', () => {
  it.each([
    ['src/kernel/x.ts', "export { vendors } from '../vendors/registry.js';"],
    ['src/kernel/upstream/x.ts', "export { Applier } from '../../var/applier.js';"],
    ['src/relay/x.ts', "export const v = () => import('../vendors/registry.js');"],
    ['src/vendors/aws-nacl/x.ts', "export { VectraClient } from '../vectra/client.js';"],
    ['src/vendors/aws-nacl/x.ts', "export { createGuard } from '../../var/guard.js';"],
    ['src/var/x.ts', "export { VectraClient } from '../vendors/vectra/client.js';"],
    ['src/handlers/lambda.ts', "export { fakes } from '../sandbox/fakes.js';"],
  ])('refuses %s importing across its boundary', (path, source) => {
    expect(lint(path, source)).toContain('noRestrictedImports');
  });

  it('lets a block client import the kernel', () => {
    expect(
      lint('src/vendors/aws-nacl/x.ts', "export { RelayError } from '../../kernel/errors.js';"),
    ).not.toContain('noRestrictedImports');
  });
});
