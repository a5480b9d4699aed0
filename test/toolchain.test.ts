/**
 * The Node versions we promise (`engines`, `.nvmrc`, the README) agree with
 * what the locked packages require, so `npm ci` on a supported Node never
 * meets an engine mismatch.
 */
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../scripts/lib/paths.js';

const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(fromRoot('package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
};

/** The lowest version of each `||` branch of our range: every one must satisfy every locked package. */
const lowest = new semver.Range(pkg.engines.node).set.map((comparators) =>
  String(semver.minVersion(new semver.Range(comparators.map((c) => c.value).join(' ')))),
);

describe('Node versions', () => {
  it('supports the oldest Node of each engines branch in every locked package', () => {
    const conflicts: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!path || !wanted || entry.optional) continue;
      for (const version of lowest) {
        if (!semver.satisfies(version, wanted)) conflicts.push(`${path} needs ${wanted}, not ${version}`);
      }
    }
    expect(lowest.length).toBeGreaterThan(0);
    expect(conflicts).toEqual([]);
  });

  it('pins .nvmrc to the Node the Lambda functions run (22), inside engines', () => {
    const nvmrc = readFileSync(fromRoot('.nvmrc'), 'utf8').trim();
    expect(nvmrc).toBe('22');
    expect(semver.intersects(`${nvmrc}.x`, pkg.engines.node)).toBe(true);
    expect(readFileSync(fromRoot('README.md'), 'utf8')).toMatch(/Node 22/);
  });
});
