/**
 * Bundles the Lambda functions with the local esbuild (never Docker) into one
 * self-contained directory per function: `dist/lambda/<name>/index.mjs` plus
 * lazily loaded chunks, minified ESM for Node 22. The CDK app calls `build()`
 * during synth and the bundle benchmark calls it too, so there is one recipe.
 *
 * Usage: `tsx scripts/build.ts [--outdir dist/lambda] [--only relay,engine] [--json]`
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { fromRoot, isMain, REPO_ROOT } from './lib/paths.js';

/** Lambda functions and their entry modules (relative to the repository root). */
export const FUNCTIONS = {
  relay: 'src/handlers/lambda.ts',
  engine: 'src/handlers/engine.ts',
  collect: 'src/handlers/collect.ts',
} as const;

export type FunctionName = keyof typeof FUNCTIONS;

/** The Lambda `handler` setting for every bundle: `index.mjs`, export `handler`. */
export const HANDLER = 'index.handler';

/** Default output directory (git-ignored). */
export const DEFAULT_OUTDIR: string = fromRoot('dist', 'lambda');

/**
 * ESM output has no `require`; CommonJS dependencies bundled in (the AWS SDK's
 * and Powertools' transitive deps) call it for Node built-ins. The alias keeps
 * clear of any `createRequire` identifier in the bundled code.
 */
export const REQUIRE_BANNER =
  "import { createRequire as __bundleCreateRequire } from 'node:module';" +
  'const require = __bundleCreateRequire(import.meta.url);';

export interface BuildOptions {
  /** Parent directory; each function goes to `<outdir>/<name>/`. Default `dist/lambda`. */
  readonly outdir?: string;
  /** Which functions to build. Default: every entry in `entries`. */
  readonly functions?: readonly string[];
  /** Entry modules by function name; default `FUNCTIONS`. Tests pass fixture entries. */
  readonly entries?: Readonly<Record<string, string>>;
  /** Default true. */
  readonly minify?: boolean;
}

export interface ChunkInfo {
  /** Path inside the function directory, e.g. `index.mjs`, `chunks/dist-ABC123.mjs`. */
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** True for the handler module itself, false for a lazily imported or shared chunk. */
  readonly entry: boolean;
  /** Package contributing most bytes (`@aws-sdk/client-ec2`), or `app` for our own code. */
  readonly mainSource: string;
}

export interface BuiltFunction {
  readonly name: string;
  /** Absolute directory to hand to `Code.fromAsset`. */
  readonly dir: string;
  readonly handler: string;
  readonly chunks: readonly ChunkInfo[];
  readonly bytes: number;
  readonly gzipBytes: number;
  /** esbuild metafile written next to (not inside) the asset directory, for `esbuild analyze`. */
  readonly metafile: string;
}

export interface BuildResult {
  readonly outdir: string;
  readonly functions: Readonly<Record<string, BuiltFunction>>;
  readonly durationMs: number;
}

/**
 * Bundles each function into a fresh `<outdir>/<name>/` (stale chunks removed first).
 * Deterministic: the same sources give byte-identical output, so CDK asset hashes
 * change only when code does.
 *
 * @example
 * const { functions } = await build({ outdir: '/tmp/assets', functions: ['relay'] });
 * new lambda.Function(this, 'Fn', { code: lambda.Code.fromAsset(functions.relay.dir), handler: HANDLER, … });
 */
export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const outdir = resolve(options.outdir ?? DEFAULT_OUTDIR);
  const entries: Readonly<Record<string, string>> = options.entries ?? FUNCTIONS;
  const names = options.functions ?? Object.keys(entries);
  await mkdir(outdir, { recursive: true });
  const functions: Record<string, BuiltFunction> = {};
  // Sequential on purpose: two esbuild runs in parallel gain little on 2 cores.
  for (const name of names) {
    const entry = entries[name];
    if (entry === undefined)
      throw new Error(`Unknown function "${name}" (known: ${Object.keys(entries).join(', ')})`);
    functions[name] = await buildOne(
      name,
      isAbsolute(entry) ? entry : fromRoot(entry),
      outdir,
      options.minify ?? true,
    );
  }
  return { outdir, functions, durationMs: Math.round(performance.now() - started) };
}

async function buildOne(
  name: string,
  entry: string,
  outdir: string,
  minify: boolean,
): Promise<BuiltFunction> {
  const dir = join(outdir, name);
  await rm(dir, { recursive: true, force: true });
  let result: esbuild.BuildResult<{ metafile: true; write: true }>;
  try {
    result = await esbuild.build({
      absWorkingDir: REPO_ROOT,
      entryPoints: { index: entry },
      outdir: dir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      mainFields: ['module', 'main'],
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]',
      banner: { js: REQUIRE_BANNER },
      minify,
      sourcemap: false,
      metafile: true,
      write: true,
      logLevel: 'silent',
    });
  } catch (err) {
    const detail = (err as { errors?: esbuild.Message[] }).errors
      ?.slice(0, 5)
      .map((m) => `  ${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`)
      .join('\n');
    throw new Error(
      `esbuild failed for ${name} (${relative(REPO_ROOT, entry)})${detail ? `:\n${detail}` : ''}`,
      {
        cause: err,
      },
    );
  }
  const metafile = join(outdir, `${name}.meta.json`);
  await writeFile(metafile, JSON.stringify(result.metafile));
  const chunks: ChunkInfo[] = [];
  for (const [outPath, output] of Object.entries(result.metafile.outputs)) {
    const abs = resolve(REPO_ROOT, outPath);
    const content = await readFile(abs);
    const file = relative(dir, abs).split('\\').join('/');
    chunks.push({
      file,
      bytes: content.byteLength,
      gzipBytes: gzipSync(content, { level: 9 }).byteLength,
      // esbuild also marks dynamic-import targets as entry points; only index.mjs is the handler.
      entry: file === 'index.mjs',
      mainSource: mainSource(output.inputs),
    });
  }
  chunks.sort((a, b) => Number(b.entry) - Number(a.entry) || a.file.localeCompare(b.file));
  return {
    name,
    dir,
    handler: HANDLER,
    chunks,
    bytes: chunks.reduce((n, c) => n + c.bytes, 0),
    gzipBytes: chunks.reduce((n, c) => n + c.gzipBytes, 0),
    metafile,
  };
}

/** The package (or `app`) contributing most bytes to one output file. */
function mainSource(inputs: Readonly<Record<string, { bytesInOutput: number }>>): string {
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const at = path.lastIndexOf('node_modules/');
    const pkg = at < 0 ? 'app' : /^(@[^/]+\/[^/]+|[^/]+)/.exec(path.slice(at + 'node_modules/'.length))?.[1];
    const key = pkg ?? 'app';
    totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
  }
  return [...totals].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'app';
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

/** Human-readable size table, one line per chunk. */
export function formatBuild(result: BuildResult): string {
  const lines: string[] = [];
  for (const fn of Object.values(result.functions)) {
    lines.push(
      `${fn.name}: ${kb(fn.bytes)} KB (${kb(fn.gzipBytes)} KB gzip) in ${relative(process.cwd(), fn.dir) || '.'}`,
    );
    for (const c of fn.chunks) {
      lines.push(
        `  ${c.file.padEnd(36)} ${kb(c.bytes).padStart(8)} KB ${kb(c.gzipBytes).padStart(7)} KB gzip  ${c.mainSource}`,
      );
    }
  }
  lines.push(`built in ${result.durationMs} ms`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      outdir: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `Usage: ${basename(process.argv[1] ?? 'build.ts')} [--outdir dist/lambda] [--only relay,engine] [--json]`,
    );
    return;
  }
  const result = await build({
    ...(values.outdir ? { outdir: values.outdir } : {}),
    ...(values.only ? { functions: values.only.split(',').map((s) => s.trim()) } : {}),
  });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatBuild(result));
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
