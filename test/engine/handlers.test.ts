/** The Lambda handler and the CLI, end to end against the fake brain (secrets injected, no AWS). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fromRoot } from '../../scripts/lib/paths.js';
import type { EngineReport } from '../../src/engine/index.js';
import { createEngineHandler } from '../../src/handlers/engine.js';
import { type CliOptions, parseCli, runCli, STATE_DIR } from '../../src/handlers/engine-cli.js';
import { type Harness, startHarness } from './harness.js';

/** Parsed options of a non-help command line. */
function options(argv: string[]): CliOptions {
  const parsed = parseCli(argv);
  if (!parsed) throw new Error('--help');
  return parsed;
}

let h: Harness;
let dir: string;
beforeEach(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'engine-cli-'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

const env = (over: Record<string, string> = {}) => ({
  ALLOW_LOOPBACK_UPSTREAMS: 'true',
  LOG_LEVEL: 'SILENT',
  ENGINE_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:engine',
  ...over,
});

describe('Lambda handler', () => {
  it('reads the claims secret once per cold start and dry-runs by default', async () => {
    const id = h.brain.addHost({ name: 'l', tags: ['vectra_host_block'] }).id as number;
    const readSecret = vi.fn(async () => JSON.stringify(h.claims));
    const handler = createEngineHandler({
      env: env({ ENGINE_POLICY: '{"MAX_NEW_BLOCKS_PER_RUN": 5}' }),
      readSecret,
    });
    const first = await handler(
      { 'detail-type': 'Scheduled Event' },
      { getRemainingTimeInMillis: () => 60_000 },
    );
    expect(first.summary).toMatchObject({ dryRun: true, skipped: 'dry-run', cap: 5 });
    expect(first.plan?.hosts.toBlock.map((e) => e.id)).toEqual([id]);
    expect(h.writes()).toBe(0);
    await handler({});
    expect(readSecret).toHaveBeenCalledTimes(1);
  });

  it('skips quietly while the stack placeholder secret is in place', async () => {
    const readSecret = vi.fn(async () => JSON.stringify({ _placeholder: 'fill me', _nonce: 'x' }));
    const r = await createEngineHandler({ env: env(), readSecret })({});
    expect(r.summary).toBeUndefined();
    expect(r.skipped).toContain('placeholder');
  });

  it('applies when ENGINE_DRY_RUN=false; a policy file works too; bad input fails the invocation', async () => {
    const id = h.brain.addHost({ name: 'l', tags: ['vectra_host_block'] }).id as number;
    const file = join(dir, 'policy.json');
    await writeFile(file, '{}');
    const readSecret = async () => JSON.stringify(h.claims);
    const handler = createEngineHandler({
      env: env({ ENGINE_POLICY_FILE: file, ENGINE_DRY_RUN: 'false' }),
      readSecret,
    });
    const r = await handler({});
    expect(r.summary?.applied).toBe(true);
    expect(h.tags('host', id)).toContain('VAR Host Blocked');
    await expect(
      createEngineHandler({ env: env({ ENGINE_POLICY: '{"NOPE":1}' }), readSecret })({}),
    ).rejects.toThrow(/unknown key/);
    await expect(createEngineHandler({ env: { LOG_LEVEL: 'SILENT' }, readSecret })({})).rejects.toThrow(
      /ENGINE_SECRET_ARN/,
    );
  });
});

describe('CLI', () => {
  it('answers --help, keeps its files in .state/engine at the project root, and refuses bad usage', () => {
    expect(parseCli(['--help'])).toBeUndefined();
    const o = options(['--policy', 'p.json']);
    expect(o.lockFile).toBe(join(STATE_DIR, 'engine.lock'));
    expect(o.staticIpsState).toBe(join(STATE_DIR, 'current_blocked_static_destination_ips'));
    expect(STATE_DIR).toBe(fromRoot('.state', 'engine'));
    expect(options(['--sandbox']).policy).toBe(fromRoot('examples', 'policy.json'));
    expect(() => parseCli([])).toThrow(/--policy <file.json> is required/);
    expect(() => parseCli(['--bogus'])).toThrow(/Unknown option '--bogus'/);
    expect(() => parseCli(['--sandbox', '--claims', 'c.json'])).toThrow(/--sandbox brings its own claims/);
  });

  it('runs once with --claims, keeps static IP state in a file and releases its lock', async () => {
    const policy = join(dir, 'policy.json');
    const claims = join(dir, 'claims.json');
    await writeFile(policy, JSON.stringify({ STATIC_BLOCK_DESTINATION_IPS: ['192.0.2.1'] }));
    await writeFile(claims, JSON.stringify(h.claims));
    const id = h.brain.addHost({ name: 'c', tags: ['vectra_host_block'] }).id as number;
    const opts = {
      ...options(['--policy', policy, '--claims', claims, '--no-dry-run', '--once']),
      lockFile: join(dir, 'lock'),
      staticIpsState: join(dir, 'static'),
    };
    const reports: EngineReport[] = [];
    const code = await runCli(opts, env(), (r) => reports.push(r));
    expect(code).toBe(0);
    expect(reports[0]?.summary.applied).toBe(true);
    expect(h.tags('host', id)).toContain('VAR Host Blocked');
    expect(reports[0]?.plan?.staticIps.toBlock).toEqual(['192.0.2.1/32']);
    // A second run sees the state file and the free lock.
    const again: EngineReport[] = [];
    await runCli(opts, env(), (r) => again.push(r));
    expect(again[0]?.plan?.staticIps.toBlock).toEqual([]);
  });

  it('--loop runs until stopped; credentials may come from the environment', async () => {
    const policy = join(dir, 'policy.json');
    await writeFile(policy, '{}');
    const stop = new AbortController();
    const opts = {
      ...options(['--policy', policy, '--loop']),
      lockFile: join(dir, 'lock'),
      staticIpsState: join(dir, 's'),
    };
    const reports: EngineReport[] = [];
    const vars = env({
      VECTRA_URL: h.brain.url,
      VECTRA_API_VERSION: 'v2.5',
      VECTRA_TOKEN: h.brain.apiToken,
      BLOCK_CLIENTS: 'test_client',
    });
    const lines: string[] = [];
    const code = await runCli(
      opts,
      vars,
      (r) => {
        reports.push(r);
      },
      stop.signal,
      (line) => {
        lines.push(line);
        if (line.startsWith('next run at')) stop.abort();
      },
    );
    expect(code).toBe(0);
    expect(reports).toHaveLength(1);
    expect(reports[0]?.summary.skipped).toBe('dry-run');
    expect(lines[0]).toMatch(/^run 1 started \(dry run: nothing will be changed/);
    expect(lines).toContainEqual(expect.stringMatching(/^run 1 finished in \d+\.\d s$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}hosts +\d+ matching, \d+ blocked, \d+ to block/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^next run at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \d+ min\); Ctrl-C stops$/),
    );
    expect(lines.at(-1)).toBe('1 run, no errors');
  });
});
