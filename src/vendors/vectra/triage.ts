/**
 * Triage actions on Vectra hosts and accounts (`/respond/observables`,
 * `/respond/trigger`): close out the object's active detections (mark them
 * fixed on v2.5 and v3.0–3.4, close them as remediated or benign on v3.5+),
 * add a note, assign the object to the token's `vectra_assignee_id` user and
 * resolve that assignment. Action ids start with `vectra-triage-`; the object
 * travels in query-params. Every trigger re-reads the object, acts only when
 * the state differs (a repeat answers `unchanged`), and names what it touched
 * in `elements`, which the trigger route writes to its audit record.
 */
import pLimit from 'p-limit';
import type { RequestContext } from '../../kernel/context.js';
import type { RespondAction } from '../../kernel/ctim.js';
import { invalidArgument, RelayError } from '../../kernel/errors.js';
import { withKeyLock } from '../../kernel/keyed-lock.js';
import type { Observable } from '../../kernel/observables.js';
import type { Outcome, TriggerRequest, TriggerResult } from '../../kernel/vendor.js';
import { ipValues } from './batch.js';
import { VectraClient } from './client.js';
import type { VectraConfig } from './config.js';
import { asRelayError } from './observe.js';
import { VENDOR } from './product.js';
import {
  activeDetectionIds,
  assignmentsOf,
  type CloseReason,
  closeDetections,
  createAssignment,
  markFixed,
  noteTexts,
  OUTCOMES,
  type OutcomeCategory,
  outcomeId,
  resolveAssignment,
  type TriageTarget,
} from './triage-api.js';

export const TRIAGE_PREFIX = 'vectra-triage-';
const VERBS = ['fix', 'close', 'note', 'assign', 'resolve'] as const;
type Verb = (typeof VERBS)[number];
type Kind = 'host' | 'account';

const HOST_TYPES = new Set(['ip', 'ipv6', 'hostname', 'mac_address']);
/** Longest note text taken from a trigger's `note` parameter. */
export const MAX_NOTE = 1000;

const actionId = (verb: Verb, kind: Kind) => `${TRIAGE_PREFIX}${verb}-${kind}`;

function parseActionId(id: string): { verb: Verb; kind: Kind } | undefined {
  const m = /^vectra-triage-(fix|close|note|assign|resolve)-(host|account)$/.exec(id);
  return m ? { verb: m[1] as Verb, kind: m[2] as Kind } : undefined;
}

/** The note a triage action adds unless the trigger names its own: fixed per observable, so a repeat is a no-op. */
export const defaultNote = (o: Observable) => `Reviewed in Cisco XDR (${o.type} ${o.value}).`;

/** Host assignments exist from v3.3 (vat `create_host_assignment`); v2.5 assigns accounts only. */
const canAssign = (cfg: VectraConfig, kind: Kind) =>
  cfg.assigneeId !== undefined && (kind === 'account' || cfg.apiVersion === 'v3');

function action(
  verb: Verb,
  target: TriageTarget,
  o: Observable,
  title: string,
  description: string,
  extra: Record<string, string> = {},
): RespondAction {
  return {
    id: actionId(verb, target.kind),
    title,
    description,
    categories: [VENDOR, 'Triage'],
    'query-params': {
      observable_type: o.type,
      observable_value: o.value,
      [`${target.kind}_id`]: String(target.id),
      ...extra,
    },
  };
}

/** The triage actions for one object, given its open assignment (if read). */
export function triageActions(
  cfg: VectraConfig,
  target: TriageTarget,
  o: Observable,
  open: { id: number } | undefined,
): RespondAction[] {
  const what = `${target.kind} ${target.name}`;
  const out: RespondAction[] = [];
  if (target.detectionIds.length > 0) {
    if (cfg.closeDetections) {
      for (const reason of ['remediated', 'benign'] as const) {
        out.push(
          action(
            'close',
            target,
            o,
            `Close detections of ${what} as ${reason}`,
            `Close the active detections of this ${target.kind} in Vectra with reason "${reason}"`,
            { reason },
          ),
        );
      }
    } else {
      out.push(
        action(
          'fix',
          target,
          o,
          `Mark detections of ${what} as fixed`,
          `Mark the active detections of this ${target.kind} as fixed in Vectra`,
        ),
      );
    }
  }
  out.push(action('note', target, o, `Add a note to ${what}`, `Add the note "${defaultNote(o)}" in Vectra`));
  if (canAssign(cfg, target.kind)) {
    if (open) {
      for (const outcome of ['malicious_true_positive', 'benign_true_positive'] as const) {
        out.push(
          action(
            'resolve',
            target,
            o,
            `Resolve assignment of ${what} as ${outcome.replace(/_/g, ' ')}`,
            `Resolve assignment ${open.id} with outcome "${outcome}" and mark its active detections fixed`,
            { outcome },
          ),
        );
      }
    } else {
      out.push(
        action(
          'assign',
          target,
          o,
          `Assign ${what} to Vectra user ${cfg.assigneeId}`,
          `Create a Vectra assignment of this ${target.kind} to user ${cfg.assigneeId}`,
        ),
      );
    }
  }
  return out;
}

export async function offerTriage(
  cfg: VectraConfig,
  observables: readonly Observable[],
  ctx: RequestContext,
): Promise<Outcome<RespondAction[]>> {
  const client = new VectraClient(cfg, ctx);
  // v2.5: the host lookups of every ip/ipv6 in one search (batch.ts).
  client.ips.prefetch(ipValues(observables), { hosts: 20 });
  const limit = pLimit(ctx.config.upstreamConcurrency);
  const data: RespondAction[] = [];
  const errors: unknown[] = [];
  await Promise.all(
    observables
      .filter((o) => HOST_TYPES.has(o.type) || o.type === 'user')
      .map((o) =>
        limit(async () => {
          try {
            const targets: TriageTarget[] = HOST_TYPES.has(o.type)
              ? await client.findHosts(o, { maxItems: 20 })
              : await client.findAccounts(o.value, { maxItems: 20 });
            for (const t of targets) {
              const open = canAssign(cfg, t.kind)
                ? (await assignmentsOf(client, t, { openOnly: true }))[0]
                : undefined;
              data.push(...triageActions(cfg, t, o, open));
            }
          } catch (err) {
            errors.push(asRelayError(err));
          }
        }),
      ),
  );
  return { data, errors };
}

function objectId(params: Readonly<Record<string, string>>, key: string): number {
  const raw = params[key];
  if (raw === undefined || !/^\d{1,12}$/.test(raw)) {
    throw invalidArgument(`Invalid JSON payload received. ${key}: Missing or not a Vectra id.`);
  }
  return Number(raw);
}

function noteParam(params: Readonly<Record<string, string>>, o: Observable): string {
  const raw = params.note;
  if (raw === undefined) return defaultNote(o);
  const text = raw.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (text === '' || text.length > MAX_NOTE || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) {
    throw invalidArgument(`Invalid JSON payload received. note: 1 to ${MAX_NOTE} printable characters.`);
  }
  return text;
}

const detectionElements = (ids: readonly number[]) => ids.map((id) => `detection:${id}`);

export async function runTriage(
  cfg: VectraConfig,
  req: TriggerRequest,
  ctx: RequestContext,
): Promise<TriggerResult> {
  const parsed = parseActionId(req.actionId);
  if (!parsed) throw new RelayError('invalid argument', 'Unsupported action.');
  const { verb, kind } = parsed;
  const id = objectId(req.params, `${kind}_id`);
  const client = new VectraClient(cfg, ctx);
  try {
    return await withKeyLock(`${cfg.url}|triage|${kind}|${id}`, async () => {
      const o = kind === 'host' ? await client.getHost(id) : await client.getAccount(id);
      if (!o) throw new RelayError('not found', `The ${kind} ${id} no longer exists in ${VENDOR}.`);
      switch (verb) {
        case 'fix':
        case 'close':
          return closeOut(client, cfg, o, verb, req.params.reason);
        case 'note':
          return addNote(client, o, noteParam(req.params, req.observable));
        case 'assign':
          return assign(client, cfg, o);
        case 'resolve':
          return resolve(client, cfg, o, req.params);
      }
    });
  } catch (err) {
    throw asRelayError(err);
  }
}

async function closeOut(
  client: VectraClient,
  cfg: VectraConfig,
  o: TriageTarget,
  verb: 'fix' | 'close',
  reasonParam: string | undefined,
): Promise<TriggerResult> {
  let reason: CloseReason | undefined;
  if (verb === 'close') {
    if (!cfg.closeDetections)
      throw invalidArgument(
        'Closing detections needs a v3.5 brain (vectra_api_version v3.5); mark them fixed.',
      );
    if (reasonParam !== 'remediated' && reasonParam !== 'benign')
      throw invalidArgument('Invalid JSON payload received. reason: remediated or benign.');
    reason = reasonParam;
  } else if (cfg.closeDetections) {
    throw invalidArgument('This brain closes detections (v3.5): use the close action.');
  }
  const ids = await activeDetectionIds(client, o);
  if (ids.length === 0) return { elements: [], unchanged: true };
  if (reason) await closeDetections(client, ids, reason);
  else await markFixed(client, ids);
  return { elements: detectionElements(ids) };
}

async function addNote(client: VectraClient, o: TriageTarget, text: string): Promise<TriggerResult> {
  if ((await noteTexts(client, o)).includes(text)) return { elements: ['note'], unchanged: true };
  const note = await client.addNote(o.kind, o.id, text);
  return { elements: [`note:${note.id}`] };
}

async function assign(client: VectraClient, cfg: VectraConfig, o: TriageTarget): Promise<TriggerResult> {
  const userId = cfg.assigneeId;
  if (userId === undefined) throw invalidArgument('No vectra_assignee_id is configured for this module.');
  if (!canAssign(cfg, o.kind))
    throw invalidArgument('Vectra v2.5 assigns accounts only (host assignments need v3.3+).');
  const open = (await assignmentsOf(client, o, { openOnly: true }))[0];
  if (open) {
    if (open.userId === userId) return { elements: [`assignment:${open.id}`], unchanged: true };
    throw new RelayError(
      'state conflict',
      `The ${o.kind} ${o.name} is already assigned to Vectra user ${open.userId ?? 'unknown'} (assignment ${open.id}).`,
    );
  }
  return { elements: [`assignment:${await createAssignment(client, o, userId)}`] };
}

async function resolve(
  client: VectraClient,
  cfg: VectraConfig,
  o: TriageTarget,
  params: Readonly<Record<string, string>>,
): Promise<TriggerResult> {
  if (!canAssign(cfg, o.kind)) throw invalidArgument('Assignments are not available for this object.');
  const category = params.outcome as OutcomeCategory;
  if (!OUTCOMES.includes(category))
    throw invalidArgument(`Invalid JSON payload received. outcome: one of ${OUTCOMES.join(', ')}.`);
  const triageAs = params.triage_as?.trim() || undefined;
  if (triageAs !== undefined && triageAs.length > 100)
    throw invalidArgument('Invalid JSON payload received. triage_as: at most 100 characters.');
  const all = await assignmentsOf(client, o, { openOnly: false });
  const open = all.find((a) => !a.resolved);
  if (!open) {
    if (all.length > 0) return { elements: [`assignment:${all[0]?.id}`], unchanged: true };
    throw new RelayError('not found', `The ${o.kind} ${o.name} has no Vectra assignment to resolve.`);
  }
  const [outcome, ids] = await Promise.all([outcomeId(client, category), activeDetectionIds(client, o)]);
  await resolveAssignment(client, open.id, {
    outcome,
    note: `Resolved from Cisco XDR as ${category}.`,
    detectionIds: ids,
    ...(triageAs === undefined ? {} : { triageAs }),
  });
  return { elements: [`assignment:${open.id}`, `outcome:${category}`, ...detectionElements(ids)] };
}
