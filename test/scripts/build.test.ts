import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildResult, build, FUNCTIONS, HANDLER, REQUIRE_BANNER } from '../../scripts/build.js';

const fixture = join(import.meta.dirname, 'fixtures', 'bundle-entry.ts');
let outdir: string;
let result: BuildResult;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'relay-build-'));
  result = await build({ outdir, entries: { demo: fixture } });
});
afterAll(() => rm(outdir, { recursive: true, force: true }));

describe('build', () => {
  it('writes a minified ESM entry and a lazily loaded chunk per function', async () => {
    const fn = result.functions.demo;
    expect(fn?.handler).toBe(HANDLER);
    expect(fn?.dir).toBe(join(outdir, 'demo'));
    expect(fn?.chunks.map((c) => [c.file.replace(/-[A-Z0-9]+\.mjs$/, '-HASH.mjs'), c.entry])).toEqual([
      ['index.mjs', true],
      ['chunks/bundle-lazy-HASH.mjs', false],
    ]);
    const entry = await readFile(join(outdir, 'demo', 'index.mjs'), 'utf8');
    expect(entry.startsWith(REQUIRE_BANNER)).toBe(true);
    expect(entry.split('\n').length).toBeLessThan(6); // minified
  });

  it('reports sizes that add up', () => {
    const fn = result.functions.demo;
    expect(fn?.bytes).toBe(fn?.chunks.reduce((n, c) => n + c.bytes, 0));
    expect(fn?.chunks.every((c) => c.bytes > 0 && c.gzipBytes > 0)).toBe(true);
  });

  it('keeps the metafile next to the asset directory, not inside it', async () => {
    expect(existsSync(join(outdir, 'demo.meta.json'))).toBe(true);
    expect((await readdir(join(outdir, 'demo'))).sort()).toEqual(['chunks', 'index.mjs']);
  });

  it('produces a handler that runs, chunk and require included', async () => {
    const mod = (await import(pathToFileURL(join(outdir, 'demo', 'index.mjs')).href)) as {
      handler: (e: { name: string }) => Promise<{ greeting: string; lazy: string }>;
    };
    await expect(mod.handler({ name: 'xdr' })).resolves.toEqual({
      greeting: 'hello xdr',
      lazy: `CHUNK on ${process.platform}`,
    });
  });

  it('is deterministic and removes stale chunks on rebuild', async () => {
    const before = await readFile(join(outdir, 'demo', 'index.mjs'));
    const again = await build({ outdir, entries: { demo: fixture } });
    expect(await readFile(join(outdir, 'demo', 'index.mjs'))).toEqual(before);
    expect(again.functions.demo?.chunks.map((c) => c.file)).toEqual(
      result.functions.demo?.chunks.map((c) => c.file),
    );
  });

  it('names the function when esbuild fails', async () => {
    await expect(
      build({ outdir, entries: { broken: join(import.meta.dirname, 'fixtures', 'missing.ts') } }),
    ).rejects.toThrow(/esbuild failed for broken/);
  });

  it('bundles the real relay handler, which answers /version', async () => {
    process.env.LOG_LEVEL = 'SILENT';
    // As deployed: an rs256 relay always gets its audience (the stack sets it).
    process.env.RELAY_PUBLIC_URL = 'https://relay.example';
    const real = await build({ outdir, functions: ['relay'] });
    expect(Object.keys(FUNCTIONS)).toEqual(['relay', 'engine', 'collect']);
    const { handler } = (await import(
      pathToFileURL(join(real.functions.relay?.dir ?? '', 'index.mjs')).href
    )) as {
      handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
    };
    const { versionEvent, lambdaContext } = await import('../../bench/bundle.js');
    const res = await handler(versionEvent(), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ version: expect.any(String) });
  });

  it('never puts a fake (src/sandbox) into a deployed function', async () => {
    const real = await build({ outdir, functions: Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[] });
    for (const fn of Object.values(real.functions)) {
      const meta = JSON.parse(await readFile(fn?.metafile ?? '', 'utf8')) as {
        inputs: Record<string, unknown>;
      };
      const inputs = Object.keys(meta.inputs);
      expect(inputs.some((i) => i.includes('src/handlers/'))).toBe(true);
      expect(inputs.filter((i) => i.includes('src/sandbox/'))).toEqual([]);
    }
  });
});
