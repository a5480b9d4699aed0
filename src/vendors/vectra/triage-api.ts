/**
 * The Vectra calls behind the triage actions (`triage.ts`): an object's active
 * detections, marking them fixed (v2.5, v3.0–3.4) or closing them (v3.5+),
 * notes, assignments and their outcomes. Bodies and paths follow the sources
 * listed in `src/sandbox/vectra-brain/README.md`.
 */
import { RelayError } from '../../kernel/errors.js';
import type { VectraAccount, VectraHost } from '../../kernel/model.js';
import type { VectraClient } from './client.js';

export type TriageTarget = VectraHost | VectraAccount;
export type CloseReason = 'remediated' | 'benign';
export const OUTCOMES = ['malicious_true_positive', 'benign_true_positive', 'false_positive'] as const;
export type OutcomeCategory = (typeof OUTCOMES)[number];

/** Detections examined per object; more fails rather than fix some and report all. */
const MAX_DETECTIONS = 500;

type Raw = Record<string, unknown>;

/**
 * Ids of the object's detections that are `active` now, sourced from it
 * (re-checked: API filters may be loose). Hosts by `detections?host_id=`,
 * accounts through their `detection_set`.
 */
export async function activeDetectionIds(client: VectraClient, o: TriageTarget): Promise<number[]> {
  const source = o.kind === 'host' ? 'src_host' : 'src_account';
  const raw =
    o.kind === 'host'
      ? await client.listDetectionsRaw(
          { host_id: o.id, state: 'active' },
          { maxItems: MAX_DETECTIONS, requireComplete: true },
        )
      : await client.accountDetectionsRaw(o, MAX_DETECTIONS);
  return raw
    .filter((d) => {
      const r = (d ?? {}) as Raw;
      return r.state === 'active' && (r[source] as Raw | null | undefined)?.id === o.id;
    })
    .map((d) => Number((d as Raw).id))
    .filter((id) => Number.isInteger(id))
    .sort((a, b) => a - b);
}

/** `PATCH /detections` `{detectionIdList, mark_as_fixed: "True"}` (vat `mark_detections_fixed`). */
export async function markFixed(client: VectraClient, ids: readonly number[]): Promise<void> {
  await client.api.patch('detections', { detectionIdList: ids, mark_as_fixed: 'True' });
}

/** `PATCH /api/v3.5/detections/close` `{detectionIdList, reason}`. */
export async function closeDetections(
  client: VectraClient,
  ids: readonly number[],
  reason: CloseReason,
): Promise<void> {
  await client.api.patchRelease('v3.5', 'detections/close', { detectionIdList: ids, reason });
}

/** The texts of an object's notes (`GET /{hosts|accounts}/{id}/notes`; a list, a DRF page or `{notes}`). */
export async function noteTexts(client: VectraClient, o: TriageTarget): Promise<string[]> {
  const body = await client.api.get(`${o.kind}s/${o.id}/notes`);
  const b = body as { results?: unknown; notes?: unknown } | null;
  const list = Array.isArray(body) ? body : Array.isArray(b?.results) ? b.results : b?.notes;
  return (Array.isArray(list) ? list : [])
    .map((n) => (n as { note?: unknown })?.note)
    .filter((t): t is string => typeof t === 'string');
}

export interface Assignment {
  readonly id: number;
  readonly userId: number | null;
  readonly resolved: boolean;
}

function parseAssignment(raw: unknown): Assignment & { hostId: unknown; accountId: unknown } {
  const a = ((raw as { assignment?: unknown })?.assignment ?? raw ?? {}) as Raw;
  const to = (a.assigned_to ?? {}) as Raw;
  return {
    id: Number(a.id),
    userId: typeof to.id === 'number' ? to.id : null,
    resolved: a.date_resolved !== null && a.date_resolved !== undefined,
    hostId: a.host_id,
    accountId: a.account_id,
  };
}

/**
 * The object's assignments, newest first. Accounts filter by `accounts=`;
 * hosts have no documented filter (vat `_generate_assignment_params`), so
 * the open ones are read and matched on `host_id`.
 */
export async function assignmentsOf(
  client: VectraClient,
  o: TriageTarget,
  opts: { openOnly: boolean },
): Promise<Assignment[]> {
  const query: Record<string, string | number> = opts.openOnly ? { resolved: 'false' } : {};
  if (o.kind === 'account') query.accounts = o.id;
  const raw = await client.api.list('assignments', query, { maxItems: 1000, requireComplete: true });
  return raw
    .map(parseAssignment)
    .filter((a) => Number.isInteger(a.id) && (o.kind === 'host' ? a.hostId : a.accountId) === o.id)
    .filter((a) => !opts.openOnly || !a.resolved)
    .sort((x, y) => y.id - x.id)
    .map(({ id, userId, resolved }) => ({ id, userId, resolved }));
}

/** `POST /assignments` `{assign_host_id | assign_account_id, assign_to_user_id}`. */
export async function createAssignment(
  client: VectraClient,
  o: TriageTarget,
  userId: number,
): Promise<number> {
  const body = await client.api.post('assignments', {
    [o.kind === 'host' ? 'assign_host_id' : 'assign_account_id']: o.id,
    assign_to_user_id: userId,
  });
  const id = parseAssignment(body).id;
  if (!Number.isInteger(id))
    throw new RelayError('unknown', 'Unexpected response from Vectra Detect: the assignment has no id.');
  return id;
}

/** The id of the built-in outcome of `category` (`GET /assignment_outcomes`). */
export async function outcomeId(client: VectraClient, category: OutcomeCategory): Promise<number> {
  const raw = (await client.api.list('assignment_outcomes', {}, { maxItems: 200 })) as Raw[];
  const fits = raw.filter((o) => o?.category === category && typeof o.id === 'number');
  const pick = fits.find((o) => o.builtin === true) ?? fits[0];
  if (!pick) throw new RelayError('not found', `Vectra Detect has no assignment outcome "${category}".`);
  return pick.id as number;
}

/**
 * `PUT /assignments/{id}/resolve` `{outcome, note, mark_as_fixed | triage_as,
 * detection_ids}` (vat `set_assignment_resolved`: the two are exclusive).
 */
export async function resolveAssignment(
  client: VectraClient,
  assignmentId: number,
  body: { outcome: number; note: string; detectionIds: readonly number[]; triageAs?: string },
): Promise<void> {
  await client.api.put(`assignments/${assignmentId}/resolve`, {
    outcome: body.outcome,
    note: body.note,
    ...(body.triageAs === undefined ? { mark_as_fixed: true } : { triage_as: body.triageAs }),
    detection_ids: body.detectionIds,
  });
}
