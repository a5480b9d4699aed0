/**
 * `/respond/observables` (state-aware actions) and `/respond/trigger` (run one).
 * Trigger answers always carry `data.status`, and every trigger leaves exactly
 * one audit record, whatever happened.
 */
import type { Context } from 'hono';
import { audit, identityOf } from '../../kernel/audit.js';
import type { RespondAction } from '../../kernel/ctim.js';
import {
  envelope,
  invalidArgument,
  isFatal,
  logAnswered,
  ownMessage,
  RelayError,
  toWireError,
  warning,
} from '../../kernel/errors.js';
import { describeIssues } from '../../kernel/observables.js';
import type { TriggerRequest, TriggerResult } from '../../kernel/vendor.js';
import type { AppEnv, RelayApp } from '../app.js';
import { readJson } from '../body.js';
import { TriggerSchema } from '../schemas.js';
import { bodyObservables, fanOut } from './common.js';

export function registerRespond(app: RelayApp): void {
  app.post('/respond/observables', async (c) => {
    const ctx = c.get('ctx');
    const observables = await bodyObservables(c);
    const { results, errors } = await fanOut<RespondAction[]>(
      c.get('enabled'),
      ctx,
      observables,
      (m) => m.respond,
    );
    const data = results.flat();
    return c.json(envelope(data, errors, data.length > 0 || !errors.some(isFatal)));
  });

  app.post('/respond/trigger', async (c) => {
    const ctx = c.get('ctx');
    const started = performance.now();
    let request: TriggerRequest | undefined;
    let result: TriggerResult | undefined;
    let failure: unknown;
    try {
      request = await parseTrigger(c);
      const req = request;
      const vendor = c.get('enabled').find((v) => v.module.trigger && v.module.ownsAction?.(req.actionId));
      const trigger = vendor?.module.trigger;
      if (!vendor || !trigger) throw new RelayError('invalid argument', 'Unsupported action.');
      result = await trigger.call(vendor.module, vendor.cfg, req, ctx);
    } catch (err) {
      failure = err;
    }
    audit(ctx.log, {
      action: request?.actionId ?? 'invalid',
      observable: request?.observable ?? { type: '', value: '' },
      client: result?.client ?? request?.params.client_id,
      elements: result?.elements ?? [],
      outcome:
        failure !== undefined
          ? 'failure'
          : result?.pending
            ? 'pending'
            : result?.unchanged
              ? 'unchanged'
              : 'success',
      error: failure === undefined ? undefined : ownMessage(failure),
      identity: identityOf(ctx.claims),
      moduleInstanceId: ctx.moduleInstanceId,
      durationMs: Math.round(performance.now() - started),
      source: 'relay',
    });
    if (failure !== undefined) {
      logAnswered(ctx.log, 'respond/trigger', [failure]);
      c.set('outcome', toWireError(failure).code);
      return c.json(envelope({ status: 'failure' }, [failure]));
    }
    // A pending change is never reported as done: success (the action was taken) plus a warning.
    if (result?.pending) return c.json(envelope({ status: 'success' }, [warning('pending', result.pending)]));
    return c.json(envelope({ status: 'success' }));
  });
}

async function parseTrigger(c: Context<AppEnv>): Promise<TriggerRequest> {
  const parsed = TriggerSchema.safeParse(await readJson(c.req), { reportInput: true });
  if (!parsed.success) throw invalidArgument(describeIssues(parsed.error.issues));
  const { 'action-id': actionId, observable_type, observable_value, ...rest } = parsed.data;
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value !== null && value !== undefined) params[key] = String(value);
  }
  return {
    actionId,
    observable: { type: observable_type.trim().toLowerCase(), value: observable_value.trim() },
    params,
  };
}
