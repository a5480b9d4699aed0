/**
 * Command line entry of the automated response engine, for on-prem style use
 * against the same code as the Lambda:
 *
 *   npm run engine -- --policy policy.json [--dry-run|--no-dry-run] [--once|--loop]
 *                     [--interval-minutes N] [--claims claims.json]
 *                     [--lock-file .engine.lock] [--static-ips-state FILE]
 *
 * Credentials come from `--claims` (the flat claims JSON) or the environment
 * (`ENGINE_CLAIMS`, or `VECTRA_URL`, `VECTRA_TOKEN`, `BLOCK_CLIENTS`, … as the
 * upper-cased claim names). Dry run is the default. A lock file keeps two runs
 * on one machine from overlapping; the applied static IP list is kept in a
 * file, like VAR's `.current_blocked_static_destination_ips`.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pkg from '../../package.json' with { type: 'json' };
import { claimsFromEnv, parseClaimsJson, policyFromFile } from '../engine/entry.js';
import { type EngineReport, fileStaticIpStore, PolicyError, runEngineWithClaims } from '../engine/index.js';
import { acquireLock } from '../engine/lock.js';
import { loadConfig } from '../kernel/config.js';
import { createLogger } from '../kernel/logger.js';
import { closeUpstreamPools } from '../kernel/upstream/transport.js';

export interface CliOptions {
  readonly policy: string;
  readonly dryRun: boolean;
  readonly loop: boolean;
  readonly intervalMinutes: number | undefined;
  readonly claims: string | undefined;
  readonly lockFile: string;
  readonly staticIpsState: string;
}

export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    allowNegative: true,
    strict: true,
    options: {
      policy: { type: 'string' },
      'dry-run': { type: 'boolean', default: true },
      once: { type: 'boolean', default: false },
      loop: { type: 'boolean', default: false },
      'interval-minutes': { type: 'string' },
      claims: { type: 'string' },
      'lock-file': { type: 'string', default: '.engine.lock' },
      'static-ips-state': { type: 'string', default: '.current_blocked_static_destination_ips' },
    },
  });
  if (!values.policy) throw new PolicyError('--policy <file.json> is required');
  if (values.once && values.loop) throw new PolicyError('--once and --loop exclude each other');
  const raw = values['interval-minutes'];
  const interval = raw === undefined ? undefined : Number(raw);
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 1 && interval <= 1440)) {
    throw new PolicyError('--interval-minutes must be a whole number from 1 to 1440');
  }
  return {
    policy: values.policy,
    dryRun: values['dry-run'],
    loop: values.loop,
    intervalMinutes: interval,
    claims: values.claims,
    lockFile: values['lock-file'],
    staticIpsState: values['static-ips-state'],
  };
}

/** Runs once or in a loop; `onReport` receives each run's report (printed by `main`). */
export async function runCli(
  opts: CliOptions,
  env: Record<string, string | undefined>,
  onReport: (r: EngineReport) => void,
  stop: AbortSignal = new AbortController().signal,
): Promise<number> {
  const config = loadConfig(env, pkg.version);
  const log = createLogger(config.logLevel, 'vectra-xdr-relay-engine');
  const policy = await policyFromFile(opts.policy);
  const claims = opts.claims
    ? parseClaimsJson(await readFile(opts.claims, 'utf8'), `--claims ${opts.claims}`)
    : claimsFromEnv(env);
  const release = await acquireLock(opts.lockFile);
  let failed = false;
  try {
    const staticIps = fileStaticIpStore(opts.staticIpsState);
    do {
      const report = await runEngineWithClaims({
        claims,
        policy,
        config,
        log,
        dryRun: opts.dryRun,
        staticIps: () => staticIps,
      });
      onReport(report);
      failed = report.summary.errors.length > 0;
      if (!opts.loop || stop.aborted) break;
      const minutes = opts.intervalMinutes ?? policy.SLEEP_MINUTES;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, minutes * 60_000);
        stop.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    } while (!stop.aborted);
  } finally {
    await release();
  }
  return failed ? 1 : 0;
}

async function main(): Promise<void> {
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  try {
    const opts = parseCli(process.argv.slice(2));
    process.exitCode = await runCli(
      opts,
      process.env,
      (r) => process.stdout.write(`${JSON.stringify({ summary: r.summary, plan: r.plan }, null, 2)}\n`),
      stop.signal,
    );
  } catch (err) {
    process.stderr.write(`engine: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  } finally {
    await closeUpstreamPools();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
