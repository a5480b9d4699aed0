/**
 * Command line entry of the automated response engine, for on-prem style use
 * against the same code as the Lambda (`npm run engine -- --help`).
 *
 * Credentials come from `--claims` (the flat claims JSON), the environment
 * (`ENGINE_CLAIMS`, or `VECTRA_URL`, `VECTRA_TOKEN`, `BLOCK_CLIENTS`, … as the
 * upper-cased claim names), or `--sandbox` (a private fake brain and fake
 * EC2 seeded with the sandbox scenario). Dry run is the default. A lock file
 * keeps two runs on one machine from overlapping; the applied static IP list
 * is kept in a file, like VAR's `.current_blocked_static_destination_ips`.
 * Both live in `.state/engine/` at the project root (git-ignored), whatever
 * the current directory. Progress for people goes to stderr; the JSON logs
 * and the JSON report go to stdout.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pkg from '../../package.json' with { type: 'json' };
import { claimsFromEnv, parseClaimsJson, policyFromFile } from '../engine/entry.js';
import { type EngineReport, fileStaticIpStore, PolicyError, runEngineWithClaims } from '../engine/index.js';
import { acquireLock } from '../engine/lock.js';
import { loadConfig } from '../kernel/config.js';
import { createLogger } from '../kernel/logger.js';
import { closeUpstreamPools } from '../kernel/upstream/transport.js';
import type { Sandbox } from '../sandbox/index.js';
import { finalSummary, nextRun, runStarted, runSummary } from './engine-progress.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the CLI keeps its lock and state files by default (git-ignored). */
export const STATE_DIR = resolve(ROOT, '.state', 'engine');
/** The policy `--sandbox` uses when `--policy` is not given. */
export const SANDBOX_POLICY = resolve(ROOT, 'examples', 'policy.json');

export const HELP = `Usage: npm run engine -- --policy <file.json> [options]

Runs Vectra's Automated Response policy loop once (or every few minutes) against
Vectra Detect and the block clients the claims enable. Dry run unless --no-dry-run.

Options:
  --policy <file>            policy JSON (keys: src/engine/README.md); with --sandbox,
                             default examples/policy.json
  --claims <file>            flat claims JSON (the token fields: vectra_url, block_clients, …);
                             default: ENGINE_CLAIMS, or VECTRA_URL, VECTRA_TOKEN, BLOCK_CLIENTS, …
  --sandbox                  run against a private sandbox (fake Vectra brain and fake EC2,
                             the scenario of npm start); needs no credentials
  --dry-run / --no-dry-run   plan only (default) / really block and unblock
  --once / --loop            one run (default) / run every --interval-minutes until Ctrl-C
  --interval-minutes <n>     minutes between runs with --loop (default: the policy's SLEEP_MINUTES)
  --lock-file <file>         default .state/engine/engine.lock
  --static-ips-state <file>  the applied static IP list;
                             default .state/engine/current_blocked_static_destination_ips
  -h, --help                 print this help

Progress goes to stderr; JSON logs and the JSON report of each run go to stdout.
Exit code: 0 all runs clean, 1 a run had errors, 2 bad usage or configuration.

Try it:  npm run engine -- --sandbox --once`;

export interface CliOptions {
  readonly policy: string;
  readonly dryRun: boolean;
  readonly loop: boolean;
  readonly intervalMinutes: number | undefined;
  readonly claims: string | undefined;
  readonly sandbox: boolean;
  readonly lockFile: string;
  readonly staticIpsState: string;
}

const parseOptions = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowNegative: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      policy: { type: 'string' },
      sandbox: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: true },
      once: { type: 'boolean', default: false },
      loop: { type: 'boolean', default: false },
      'interval-minutes': { type: 'string' },
      claims: { type: 'string' },
      'lock-file': { type: 'string', default: resolve(STATE_DIR, 'engine.lock') },
      'static-ips-state': {
        type: 'string',
        default: resolve(STATE_DIR, 'current_blocked_static_destination_ips'),
      },
    },
  });

/** `undefined` for `--help`; throws `PolicyError` on bad usage. */
export function parseCli(argv: readonly string[]): CliOptions | undefined {
  let values: ReturnType<typeof parseOptions>['values'];
  try {
    ({ values } = parseOptions(argv));
  } catch (err) {
    throw new PolicyError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return undefined;
  const policy = values.policy ?? (values.sandbox ? SANDBOX_POLICY : undefined);
  if (!policy) throw new PolicyError('--policy <file.json> is required (or --sandbox to try it)');
  if (values.once && values.loop) throw new PolicyError('--once and --loop exclude each other');
  if (values.sandbox && values.claims)
    throw new PolicyError('--sandbox brings its own claims: drop --claims');
  const raw = values['interval-minutes'];
  const interval = raw === undefined ? undefined : Number(raw);
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 1 && interval <= 1440)) {
    throw new PolicyError('--interval-minutes must be a whole number from 1 to 1440');
  }
  return {
    policy,
    dryRun: values['dry-run'],
    loop: values.loop,
    intervalMinutes: interval,
    claims: values.claims,
    sandbox: values.sandbox,
    lockFile: values['lock-file'],
    staticIpsState: values['static-ips-state'],
  };
}

/** Progress lines for people (stderr in `main`); tests pass a collector. */
export type Progress = (line: string) => void;

/** Runs once or in a loop; `onReport` receives each run's report (printed by `main`). */
export async function runCli(
  opts: CliOptions,
  env: Record<string, string | undefined>,
  onReport: (r: EngineReport) => void,
  stop: AbortSignal = new AbortController().signal,
  progress: Progress = () => {},
): Promise<number> {
  const sandbox = opts.sandbox ? await startSandboxFor(env, progress) : undefined;
  try {
    const config = loadConfig(env, pkg.version);
    const log = createLogger(config.logLevel, 'vectra-xdr-relay-engine');
    const policy = await policyFromFile(opts.policy);
    const claims = sandbox
      ? sandbox.claims
      : opts.claims
        ? parseClaimsJson(await readClaims(opts.claims), `--claims ${opts.claims}`)
        : claimsFromEnv(env);
    await mkdir(dirname(opts.lockFile), { recursive: true });
    const release = await acquireLock(opts.lockFile);
    let runs = 0;
    let failedRuns = 0;
    try {
      const staticIps = fileStaticIpStore(opts.staticIpsState);
      do {
        runs += 1;
        progress(runStarted(runs, opts.dryRun));
        const report = await runEngineWithClaims({
          claims,
          policy,
          config,
          log,
          dryRun: opts.dryRun,
          staticIps: () => staticIps,
        });
        onReport(report);
        for (const line of runSummary(runs, report)) progress(line);
        if (report.summary.errors.length > 0) failedRuns += 1;
        if (!opts.loop || stop.aborted) break;
        const minutes = opts.intervalMinutes ?? policy.SLEEP_MINUTES;
        progress(nextRun(new Date(), minutes));
        await sleep(minutes * 60_000, stop);
      } while (!stop.aborted);
    } finally {
      await release();
    }
    progress(finalSummary(runs, failedRuns));
    return failedRuns > 0 ? 1 : 0;
  } finally {
    await sandbox?.close();
  }
}

const sleep = (ms: number, stop: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    if (stop.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    stop.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

async function readClaims(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new PolicyError(
      `Cannot read the claims file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/** Starts the sandbox and points this process at it (loopback upstreams, the fake EC2 endpoint). */
async function startSandboxFor(
  env: Record<string, string | undefined>,
  progress: Progress,
): Promise<Sandbox> {
  const { startSandbox } = await import('../sandbox/index.js');
  const sandbox = await startSandbox();
  Object.assign(env, sandbox.env);
  progress(
    `sandbox: fake Vectra brain ${sandbox.brain.url}, fake EC2 ${sandbox.ec2.url} (NACL ${sandbox.naclId})`,
  );
  return sandbox;
}

async function main(): Promise<void> {
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  const say: Progress = (line) => process.stderr.write(`engine: ${line}\n`);
  try {
    const opts = parseCli(process.argv.slice(2));
    if (!opts) {
      process.stdout.write(`${HELP}\n`);
      return;
    }
    process.exitCode = await runCli(
      opts,
      process.env,
      (r) => process.stdout.write(`${JSON.stringify({ summary: r.summary, plan: r.plan }, null, 2)}\n`),
      stop.signal,
      say,
    );
  } catch (err) {
    say(`${err instanceof Error ? err.message.split('\n')[0] : String(err)} (see npm run engine -- --help)`);
    process.exitCode = 2;
  } finally {
    await closeUpstreamPools();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
