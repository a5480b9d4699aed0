/**
 * `/respond/observables` (state-aware actions) and `/respond/trigger` (run one).
 * Trigger answers always carry `data.status`, and every trigger leaves exactly
 * one audit record, whatever happened.
 */
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { audit, identityOf } from '../../kernel/audit.js';
import type { RequestContext } from '../../kernel/context.js';
import type { RespondAction } from '../../kernel/ctim.js';
import {
  envelope,
  invalidArgument,
  isFatal,
  ownMessage,
  RelayError,
  toWireError,
  warning,
} from '../../kernel/errors.js';
import { describeIssues } from '../../kernel/observables.js';
import type { TriggerRequest } from '../../kernel/vendor.js';
import { readJson } from '../body.js';
import type { AppEnv } from '../env.js';
import { TriggerSchema } from '../schemas.js';
import { bodyObservables, fanOut } from './common.js';

export const respondRoutes = new Hono<AppEnv>();

respondRoutes.post('/respond/observables', async (c) => {
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

/** Runs one action; the answer and the audit record are the trigger middleware's (`triggerAnswer`). */
respondRoutes.post('/respond/trigger', async (c) => {
  const state = c.get('trigger');
  const request = await parseTrigger(c);
  state.request = request;
  const vendor = c.get('enabled').find((v) => v.module.trigger && v.module.ownsAction?.(request.actionId));
  const trigger = vendor?.module.trigger;
  if (!vendor || !trigger) throw new RelayError('invalid argument', 'Unsupported action.');
  state.result = await trigger.call(vendor.module, vendor.cfg, request, c.get('ctx'));
  return c.body(null, 204); // replaced by `triggerAnswer`
});

/**
 * The one place a trigger is answered and audited, whatever happened before
 * (body limit, authentication) or in the action: `data.status` always, one
 * audit record always, a pending change as success plus a `pending` warning.
 */
export const triggerAnswer: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now();
  const state: AppEnv['Variables']['trigger'] = {};
  c.set('trigger', state);
  await next();
  const { request, result } = state;
  const failure: unknown =
    c.error ?? (result ? undefined : new RelayError('unknown', 'Something went wrong.'));
  const ctx = c.get('ctx') as RequestContext | undefined;
  audit(c.get('log'), {
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
    ...(ctx ? { identity: identityOf(ctx.claims) } : {}),
    moduleInstanceId: ctx?.moduleInstanceId,
    durationMs: Math.round(performance.now() - started),
    source: 'relay',
  });
  if (failure !== undefined) {
    c.set('outcome', toWireError(failure).code);
    c.res = c.json(envelope({ status: 'failure' }, [failure]));
    return;
  }
  c.res = result?.pending
    ? c.json(envelope({ status: 'success' }, [warning('pending', result.pending)]))
    : c.json(envelope({ status: 'success' }));
};

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
