/** The command line tools as a user runs them: real processes, help, one-line errors, exit codes. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../scripts/lib/paths.js';

/** tsx's loader by URL: `--import tsx` would resolve from the (foreign) working directory. */
const TSX = pathToFileURL(fromRoot('node_modules', 'tsx', 'dist', 'loader.mjs')).href;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  stdin?: string,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    // From another directory, as a user may: the tools must not depend on the current one.
    const child = spawn(process.execPath, ['--import', TSX, fromRoot(script), ...args], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'SILENT', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdin.end(stdin ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running: ${stdout}${stderr}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const BENCH_NAMES = [
  'relay',
  'vectra',
  'nacl',
  'fortinet',
  'fortimanager',
  'pan',
  'cisco_fmc',
  'cisco_asa_http',
  'carbon_black',
  'defender',
  'crowdstrike',
  'engine',
  'bundle',
  'lambda',
  'memory',
];

const oneLine = (text: string): string[] => text.trimEnd().split('\n');

describe('npm run bench', () => {
  it('--help lists the benchmark names, --list prints them', async () => {
    const help = await run('bench/run.ts', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run bench/);
    for (const name of BENCH_NAMES) expect(help.stdout).toContain(`  ${name} `);
    const list = await run('bench/run.ts', ['--list']);
    expect(oneLine(list.stdout).map((l) => l.trim().split(/\s+/)[0])).toEqual(BENCH_NAMES);
  });

  it('refuses an unknown name instead of silently running nothing', async () => {
    const r = await run('bench/run.ts', ['relays']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([
      `bench: unknown benchmark "relays"; the benchmarks are: ${BENCH_NAMES.join(', ')} (see npm run bench -- --help)`,
    ]);
    expect(r.stdout).toBe('');
  });
});

describe('npm run smoke', () => {
  // A port nothing listens on: taken from the system, then released.
  let dead = '';
  beforeAll(async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    dead = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('--help says where the JWT comes from', async () => {
    const r = await run('scripts/smoke.ts', ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--jwt-stdin');
    expect(r.stdout).toContain('JWT');
  });

  it('says once that a dead URL cannot be reached, with the cause', async () => {
    const r = await run('scripts/smoke.ts', ['--url', dead], { JWT: 'x.y.z' });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([
      `smoke: cannot reach ${dead} (ECONNREFUSED): is the relay running? (npm start)`,
    ]);
    expect(r.stdout).not.toContain('FAIL');
  });

  it('takes the JWT from stdin, and refuses it on the command line', async () => {
    const piped = await run('scripts/smoke.ts', ['--url', dead, '--jwt-stdin'], {}, 'x.y.z\n');
    expect(piped.stderr).toMatch(/^smoke: cannot reach/);
    const argv = await run('scripts/smoke.ts', ['--url', dead, '--jwt', 'x.y.z']);
    expect(argv.code).toBe(2);
    expect(oneLine(argv.stderr)).toEqual([expect.stringMatching(/^smoke: --jwt would show the token/)]);
    const none = await run('scripts/smoke.ts', ['--url', dead]);
    expect(oneLine(none.stderr)).toEqual([expect.stringMatching(/^smoke: --url needs a JWT: set JWT=/)]);
  });

  it('answers a bad option in one line', async () => {
    const r = await run('scripts/smoke.ts', ['--bogus']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^smoke: Unknown option '--bogus'/)]);
  });
});

describe('npm run engine', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'engine-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('--help documents the options, the sandbox run and where state lives', async () => {
    const r = await run('src/handlers/engine-cli.ts', ['--help']);
    expect(r.code).toBe(0);
    for (const part of [
      '--policy',
      '--sandbox',
      '--loop',
      '--lock-file',
      '.state/engine/',
      'npm run engine -- --sandbox',
    ]) {
      expect(r.stdout).toContain(part);
    }
  });

  it('answers bad usage in one line with exit code 2', async () => {
    const r = await run('src/handlers/engine-cli.ts', ['--once']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^engine: --policy <file.json> is required/)]);
  });

  it('runs against the sandbox with progress on stderr and JSON on stdout', async () => {
    const r = await run('src/handlers/engine-cli.ts', [
      '--sandbox',
      '--once',
      '--lock-file',
      join(dir, 'lock'),
      '--static-ips-state',
      join(dir, 'static'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const progress = oneLine(r.stderr);
    expect(progress.every((l) => l.startsWith('engine: '))).toBe(true);
    expect(progress).toContainEqual(expect.stringMatching(/^engine: run 1 finished in /));
    expect(progress.at(-1)).toBe('engine: 1 run, no errors');
    const report = JSON.parse(r.stdout) as { summary: { dryRun: boolean } };
    expect(report.summary.dryRun).toBe(true);
  });
});
