/**
 * Fan-out shared by the observable routes: run one vendor operation per
 * enabled vendor, in parallel, each on the observables it supports, and keep
 * whatever succeeded next to the errors of what did not (partial results).
 */

import type { Context } from 'hono';
import { appendAll } from '../../kernel/arrays.js';
import type { RequestContext } from '../../kernel/context.js';
import { logAnswered } from '../../kernel/errors.js';
import { type Observable, parseObservables } from '../../kernel/observables.js';
import type { Outcome, VendorModule } from '../../kernel/vendor.js';
import { readJson } from '../body.js';
import { type EnabledVendor, observablesFor } from '../enabled.js';
import type { AppEnv } from '../env.js';

type ObservableOp<T> = (
  cfg: unknown,
  observables: readonly Observable[],
  ctx: RequestContext,
) => Promise<Outcome<T>>;

/** Validated observables of the request body (throws `invalid argument`). */
export async function bodyObservables(c: Context<AppEnv>): Promise<Observable[]> {
  return parseObservables(await readJson(c.req), c.get('ctx').config.maxObservables);
}

/**
 * Calls `pick(module)` on every enabled vendor that implements it and returns
 * the results in registry order plus all errors met.
 */
export async function fanOut<T>(
  enabled: readonly EnabledVendor[],
  ctx: RequestContext,
  observables: readonly Observable[],
  pick: (m: VendorModule<unknown>) => ObservableOp<T> | undefined,
): Promise<{ results: T[]; errors: unknown[] }> {
  const settled = await Promise.all(
    enabled.map(async (v: EnabledVendor) => {
      const op = pick(v.module);
      const obs = observablesFor(v, observables);
      if (!op || obs.length === 0) return undefined;
      try {
        const out = await op.call(v.module, v.cfg, obs, ctx);
        logAnswered(ctx.log, v.module.id, out.errors);
        return out;
      } catch (err) {
        logAnswered(ctx.log, v.module.id, [err]);
        return { data: undefined, errors: [err] };
      }
    }),
  );
  const results: T[] = [];
  const errors: unknown[] = [];
  for (const s of settled) {
    if (!s) continue;
    if (s.data !== undefined) results.push(s.data);
    appendAll(errors, s.errors);
  }
  return { results, errors };
}
