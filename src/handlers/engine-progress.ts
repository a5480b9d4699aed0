/**
 * What the engine CLI tells the person running it, on stderr: one line when a
 * run starts, a short summary when it ends, and when the next run is. The
 * JSON logs and the JSON report stay on stdout for machines.
 */
import type { EngineReport } from '../engine/index.js';

const KINDS = ['hosts', 'accounts', 'detections'] as const;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** "run 2 started (dry run: nothing will be changed)". */
export function runStarted(run: number, dryRun: boolean): string {
  return `run ${run} started${dryRun ? ' (dry run: nothing will be changed; --no-dry-run to act)' : ''}`;
}

/** A few lines: what matched, what was (or would be) done, and every error. */
export function runSummary(run: number, report: EngineReport): string[] {
  const s = report.summary;
  const lines = [`run ${run} finished in ${seconds(s.durationMs)}`];
  for (const kind of KINDS) {
    const c = s.counts[kind];
    if (!c) continue;
    lines.push(
      `  ${kind.padEnd(10)} ${c.matching ?? 0} matching, ${c.blocked ?? 0} blocked, ${c.toBlock ?? 0} to block, ${c.toUnblock ?? 0} to unblock`,
    );
  }
  const statics = report.plan?.staticIps;
  if (statics) {
    lines.push(`  static IPs ${statics.toBlock.length} to block, ${statics.toUnblock.length} to unblock`);
  }
  const verdict = s.applied
    ? `applied: ${
        Object.entries(s.perClient)
          .map(
            ([client, n]) => `${client} ${n.blocked} blocked, ${n.unblocked} unblocked, ${n.failed} failed`,
          )
          .join('; ') || 'nothing to change'
      }`
    : `not applied (${s.skipped ?? 'safety cap'})`;
  lines.push(`  ${verdict}`);
  if (s.capExceeded) lines.push(`  safety cap: ${s.newBlocks} new blocks planned, at most ${s.cap} allowed`);
  for (const e of s.errors) lines.push(`  error: ${e}`);
  return lines;
}

/** "next run at 2026-12-01 14:25:00 UTC (in 15 min); Ctrl-C stops". */
export function nextRun(now: Date, minutes: number): string {
  const at = new Date(now.getTime() + minutes * 60_000);
  return `next run at ${at.toISOString().slice(0, 19).replace('T', ' ')} UTC (in ${minutes} min); Ctrl-C stops`;
}

/** The last line: how many runs, how many with errors. */
export function finalSummary(runs: number, failedRuns: number): string {
  return `${runs} run${runs === 1 ? '' : 's'}, ${failedRuns === 0 ? 'no errors' : `${failedRuns} with errors`}`;
}
