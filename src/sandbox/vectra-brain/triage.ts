/**
 * Triage writes of the fake brain: marking detections fixed, closing them
 * (v3.5), and assignments with their outcomes. Each body is checked the way
 * the sources in `README.md` describe it; what no source describes is refused
 * rather than accepted (the fake answers 400 and says what it did not take).
 */
import type { BrainState, RawObject } from './store.js';

export interface TriageRequest {
  readonly flavour: 'v2.5' | 'v3';
  /** `v2.5`, `v3.4`, `v3.5`… as in the path. */
  readonly release: string;
  readonly method: string;
  readonly body: unknown;
  readonly params: URLSearchParams;
}

export interface TriageResponse {
  status: number;
  body: unknown;
}

const bad = (detail: string): TriageResponse => ({ status: 400, body: { detail } });
const notAllowed = (method: string): TriageResponse => ({
  status: 405,
  body: { detail: `Method "${method}" not allowed.` },
});
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
/** The minor version of a v3 release (`v3.5` → 5; `v3` → 0). */
const minor = (release: string) => Number(/^v3\.(\d+)$/.exec(release)?.[1] ?? 0);
/** Who the fake records as acting for API calls. */
const API_USER = { id: 1, username: 'admin' };

/** A non-empty list of known detection ids (integers), or an error naming what is wrong. */
function detectionIds(state: BrainState, raw: unknown, field: string): number[] | TriageResponse {
  if (!Array.isArray(raw) || raw.length === 0)
    return bad(`${field} must be a non-empty list of detection ids`);
  const ids: number[] = [];
  for (const v of raw) {
    const id = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(id)) return bad(`${field} must hold detection ids`);
    if (!state.detections.has(id)) return bad(`Detection ${id} does not exist.`);
    ids.push(id);
  }
  return ids;
}

/**
 * `PATCH /detections` with `{detectionIdList, mark_as_fixed}` (v2.5 and v3.0–3.4):
 * vat `_toggle_detections_fixed` sends `mark_as_fixed` as the string "True"/"False";
 * the Splunk SOAR connector sends the same. The answer is demisto/content
 * `mark_or_unmark_detections_fixed_response.json`. v3.5 documents this PATCH for
 * workflow fields (`investigation_status`, `external_reference_id`:
 * vectra-ai-mcp-server `set_detection_workflow_state`); whether it still takes
 * `mark_as_fixed` is unknown, so the fake refuses it there.
 */
export function markFixed(state: BrainState, req: TriageRequest): TriageResponse {
  if (req.method !== 'PATCH') return notAllowed(req.method);
  if (req.flavour === 'v3' && minor(req.release) >= 5)
    return bad('mark_as_fixed is not a field of this API version; close detections instead.');
  const body = (req.body ?? {}) as { detectionIdList?: unknown; mark_as_fixed?: unknown };
  const flag = body.mark_as_fixed;
  const fixed =
    flag === true || flag === 'True' || flag === 'true'
      ? true
      : flag === false || flag === 'False' || flag === 'false'
        ? false
        : undefined;
  if (fixed === undefined) return bad('mark_as_fixed is required ("True" or "False")');
  const ids = detectionIds(state, body.detectionIdList, 'detectionIdList');
  if (!Array.isArray(ids)) return ids;
  for (const id of ids) {
    const d = state.detections.get(id) as RawObject;
    d.state = fixed ? 'fixed' : 'active';
  }
  return { status: 200, body: { _meta: { level: 'Success', message: 'Successfully marked detections' } } };
}

/**
 * `PATCH /api/v3.5/detections/close` with `{detectionIdList, reason}`, reason
 * `remediated` or `benign` (Azure-Sentinel VectraXDR playbook
 * `VectraCloseDetectionsOnIncidentClose`; vectra-ai-mcp-server `close_detections`).
 * Only v3.5+ has it (404 below). The state a closed detection shows and the answer
 * body are unknown: the fake writes `closed` and answers like `markFixed`.
 */
export function closeDetections(state: BrainState, req: TriageRequest): TriageResponse {
  if (req.flavour !== 'v3' || minor(req.release) < 5) return { status: 404, body: { detail: 'Not found.' } };
  if (req.method !== 'PATCH') return notAllowed(req.method);
  const body = (req.body ?? {}) as { detectionIdList?: unknown; reason?: unknown };
  if (body.reason !== 'remediated' && body.reason !== 'benign')
    return bad('reason must be "remediated" or "benign"');
  const ids = detectionIds(state, body.detectionIdList, 'detectionIdList');
  if (!Array.isArray(ids)) return ids;
  for (const id of ids) {
    const d = state.detections.get(id) as RawObject;
    d.state = 'closed';
    d.close_reason = body.reason;
  }
  return { status: 200, body: { _meta: { level: 'Success', message: 'Successfully closed detections' } } };
}

/** An integer id sent as a number or a digit string (vat sends ints, Splunk SOAR strings). */
const intId = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v)
    ? v
    : typeof v === 'string' && /^\d{1,12}$/.test(v)
      ? Number(v)
      : undefined;

/**
 * `GET /assignments` (filters `accounts`, `assignees`, `resolved`: vat
 * `_generate_assignment_params`) and `POST /assignments` with
 * `{assign_host_id | assign_account_id, assign_to_user_id}` (vat
 * `create_host_assignment` / `create_account_assignment`; host assignments need
 * v3.3+ there, so v2.5 refuses `assign_host_id`). A second open assignment of
 * the same object: the real answer is unknown, the fake answers 409.
 */
export function assignments(
  state: BrainState,
  req: TriageRequest,
  list: (items: RawObject[]) => TriageResponse,
): TriageResponse {
  if (req.method === 'GET') {
    let items = [...state.assignments.values()];
    const resolved = req.params.get('resolved');
    if (resolved !== null) {
      const want = ['true', '1'].includes(resolved.toLowerCase());
      items = items.filter((a) => (a.date_resolved !== null) === want);
    }
    const accounts = req.params.get('accounts');
    if (accounts !== null) {
      const ids = new Set(accounts.split(',').map(Number));
      items = items.filter((a) => ids.has(a.account_id as number));
    }
    const assignees = req.params.get('assignees');
    if (assignees !== null) {
      const ids = new Set(assignees.split(',').map(Number));
      items = items.filter((a) => ids.has((a.assigned_to as { id: number }).id));
    }
    return list(items.map((a) => structuredClone(a)));
  }
  if (req.method !== 'POST') return notAllowed(req.method);
  const body = (req.body ?? {}) as Record<string, unknown>;
  const known = new Set(['assign_host_id', 'assign_account_id', 'assign_to_user_id']);
  const extra = Object.keys(body).find((k) => !known.has(k));
  if (extra !== undefined) return bad(`Unknown field "${extra}".`);
  const hostId = intId(body.assign_host_id);
  const accountId = intId(body.assign_account_id);
  if ((hostId === undefined) === (accountId === undefined))
    return bad('Exactly one of assign_host_id and assign_account_id is required.');
  if (hostId !== undefined && req.flavour === 'v2.5')
    return bad('assign_host_id is not accepted by this API version.');
  const userId = intId(body.assign_to_user_id);
  const user = userId === undefined ? undefined : state.users.get(userId);
  if (!user) return bad('assign_to_user_id must be the id of a user.');
  const object = hostId !== undefined ? state.hosts.get(hostId) : state.accounts.get(accountId as number);
  if (!object) return bad(`The ${hostId !== undefined ? 'host' : 'account'} does not exist.`);
  const open = [...state.assignments.values()].find(
    (a) =>
      a.date_resolved === null && (hostId !== undefined ? a.host_id === hostId : a.account_id === accountId),
  );
  if (open) return { status: 409, body: { detail: `Already assigned (assignment ${open.id}).` } };
  const id = state.id('assignment');
  const at = now();
  const assignment: RawObject = {
    id,
    assigned_by: { ...API_USER },
    date_assigned: at,
    date_resolved: null,
    events: [
      {
        assignment_id: id,
        actor: API_USER.id,
        event_type: 'created',
        datetime: at,
        context: { to: user.id, entity_t_score: object.threat, entity_c_score: object.certainty },
      },
    ],
    outcome: null,
    resolved_by: null,
    triaged_detections: null,
    host_id: hostId ?? null,
    account_id: accountId ?? null,
    assigned_to: { ...user },
  };
  state.assignments.set(id, assignment);
  return { status: 201, body: { assignment: structuredClone(assignment) } };
}

/**
 * `PUT /assignments/{id}/resolve` with `{outcome, note, mark_as_fixed | triage_as,
 * detection_ids}` (vat `set_assignment_resolved`: one of `triage_as` and
 * `mark_as_fixed` is required, they are mutually exclusive; Splunk SOAR
 * `resolve_assignment` uses PUT and always sends a note). The answer is
 * demisto/content `entity_assignment_resolve_response.json`. The note goes with
 * the fixed/triaged detections (vat); where a brain shows it is not modelled. Resolving an
 * assignment twice: unknown, refused (400).
 */
export function resolveAssignment(state: BrainState, req: TriageRequest, id: number): TriageResponse {
  if (req.method !== 'PUT') return notAllowed(req.method);
  const a = state.assignments.get(id);
  if (!a) return { status: 404, body: { detail: 'Not found.' } };
  if (a.date_resolved !== null) return bad('This assignment is already resolved.');
  const body = (req.body ?? {}) as Record<string, unknown>;
  const outcome = state.outcomes.find((o) => o.id === intId(body.outcome));
  if (!outcome) return bad('outcome must be the id of an assignment outcome.');
  if (typeof body.note !== 'string') return bad('note is required.');
  const fix = body.mark_as_fixed === true;
  const triageAs = typeof body.triage_as === 'string' && body.triage_as !== '' ? body.triage_as : undefined;
  if (fix === (triageAs !== undefined)) return bad('Exactly one of mark_as_fixed and triage_as is required.');
  const raw = body.detection_ids ?? [];
  const ids = Array.isArray(raw) && raw.length === 0 ? [] : detectionIds(state, raw, 'detection_ids');
  if (!Array.isArray(ids)) return ids;
  for (const d of ids) {
    const det = state.detections.get(d) as RawObject;
    if (fix) det.state = 'fixed';
    else det.is_triaged = true;
  }
  const at = now();
  Object.assign(a, {
    date_resolved: at,
    outcome: { ...outcome },
    resolved_by: { ...API_USER },
    triaged_detections: ids,
  });
  (a.events as RawObject[]).unshift({
    assignment_id: id,
    actor: API_USER.id,
    event_type: 'resolved',
    datetime: at,
    context: {
      triage_as: triageAs ?? null,
      triaged_detection_ids: triageAs ? ids : null,
      fixed_detection_ids: fix ? ids : null,
    },
  });
  return { status: 200, body: { assignment: structuredClone(a) } };
}
