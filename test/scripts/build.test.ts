import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildResult, build, FUNCTIONS, HANDLER, REQUIRE_BANNER } from '../../scripts/build.js';

/** Runs a child to its end without blocking this process's event loop. */
function spawnAsync(
  cmd: string,
  args: string[],
  opts: { encoding: 'utf8'; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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

  it('bundles a relay whose upstream calls work (lazily loaded HTTP client included)', async () => {
    const real = await build({ outdir, functions: ['relay'] });
    const bundle = pathToFileURL(join(real.functions.relay?.dir ?? '', 'index.mjs')).href;
    const { startFakeBrain } = await import('../../src/sandbox/vectra-brain/index.js');
    const { SignJWT } = await import('jose');
    const { versionEvent } = await import('../../bench/bundle.js');
    const brain = await startFakeBrain();
    try {
      const secret = 'b'.repeat(64);
      const jwt = await new SignJWT({
        vectra_url: brain.url,
        vectra_token: brain.apiToken,
        vectra_api_version: 'v2.5',
      })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(secret));
      const health = versionEvent('/health');
      const events = {
        version: versionEvent(),
        health: {
          ...health,
          headers: { ...(health.headers as Record<string, string>), authorization: `Bearer ${jwt}` },
          body: '{}',
        },
      };
      // The benchmark's child: it exits non-zero when an answer carries an error. Not spawnSync:
      // the fake brain answers from this process, whose event loop must keep running.
      const r = await spawnAsync(
        process.execPath,
        [
          join(import.meta.dirname, '../../bench/lambda-child.mjs'),
          'cold',
          bundle,
          JSON.stringify({ events }),
        ],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            AUTH_MODE: 'hs256',
            SECRET_KEY: secret,
            ALLOW_LOOPBACK_UPSTREAMS: 'true',
            LOG_LEVEL: 'SILENT',
            AWS_REGION: 'us-east-1',
          },
        },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(brain.requests.some((q) => q.path.startsWith('/api/'))).toBe(true);
    } finally {
      await brain.close();
    }
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
