/**
 * The fake Carbon Black Cloud's API routes under `/appservices/v6/orgs/{org}/`:
 * device search, one device, device actions (QUARANTINE only) and the live
 * response sessions, commands and file content. Strict: unknown fields,
 * unsupported actions and malformed bodies answer 400. Sources: README.md.
 */
import type { CbState, FakeDevice, FakeSession } from './model.js';
import { RUNNABLE_COMMANDS, SUPPORTED_COMMANDS } from './model.js';

export class CbFault extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Answer {
  readonly status: number;
  readonly json?: unknown;
  readonly bytes?: Buffer;
}

const bad = (m: string) => new CbFault(400, 'INVALID_ARGUMENT', m);
const notFound = (m: string) => new CbFault(404, 'NOT_FOUND', m);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function only(body: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(body).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw bad(`Unknown field ${extra}`);
}

export const deviceJson = (d: FakeDevice) => ({
  id: d.id,
  name: d.name,
  last_internal_ip_address: d.last_internal_ip_address,
  os: d.os,
  status: d.status,
  quarantined: d.quarantined,
  sensor_states: d.online ? ['ACTIVE'] : ['ACTIVE', 'LOST_CONNECTION'],
});

const QUERY_FIELDS = new Set(['name', 'last_internal_ip_address', 'id', 'os', 'status']);

/** `field:"value" AND field:value`: the only query forms the fake evaluates. */
function parseQuery(q: string): { field: string; value: string }[] {
  if (q.trim() === '') return [];
  return q.split(/\s+AND\s+/).map((term) => {
    const m = /^([a-z_]+):(?:"([^"\\]*)"|([^\s"():*]+))$/.exec(term.trim());
    if (!m || !QUERY_FIELDS.has(m[1] as string)) throw bad(`Unsupported query term ${term.slice(0, 60)}`);
    return { field: m[1] as string, value: (m[2] ?? m[3]) as string };
  });
}

function search(state: CbState, body: unknown): Answer {
  if (!isObject(body)) throw bad('Body must be a JSON object');
  only(body, ['criteria', 'exclusions', 'query', 'rows', 'start', 'sort']);
  const rows = body.rows ?? 10;
  const start = body.start ?? 1;
  if (!Number.isInteger(rows) || (rows as number) < 0 || (rows as number) > 10000)
    throw bad('rows must be 0-10000');
  if (!Number.isInteger(start) || (start as number) < 0) throw bad('start must be a non-negative integer');
  if (body.query !== undefined && typeof body.query !== 'string') throw bad('query must be a string');
  const terms = parseQuery((body.query as string | undefined) ?? '');
  const criteria = body.criteria ?? {};
  if (!isObject(criteria)) throw bad('criteria must be an object');
  only(criteria, ['status', 'os', 'id']);
  for (const v of Object.values(criteria)) if (!Array.isArray(v)) throw bad('criteria values must be lists');
  const all = [...state.devices.values()].filter(
    (d) =>
      terms.every(
        (t) =>
          String(deviceJson(d)[t.field as keyof ReturnType<typeof deviceJson>]).toLowerCase() ===
          t.value.toLowerCase(),
      ) &&
      Object.entries(criteria).every(([k, v]) =>
        (v as unknown[]).map(String).includes(String(deviceJson(d)[k as 'id'])),
      ),
  );
  // v6 device search rows are 1-based (the SDK's DeviceSearchQuery).
  const from = Math.max(0, (start as number) - 1);
  return {
    status: 200,
    json: { results: all.slice(from, from + (rows as number)).map(deviceJson), num_found: all.length },
  };
}

const ACTION_TYPES = new Set([
  'QUARANTINE',
  'BYPASS',
  'BACKGROUND_SCAN',
  'UPDATE_POLICY',
  'UPDATE_SENSOR_VERSION',
  'UNINSTALL_SENSOR',
  'DELETE_SENSOR',
]);

function deviceAction(state: CbState, body: unknown): Answer {
  if (!isObject(body)) throw bad('Body must be a JSON object');
  only(body, ['action_type', 'device_id', 'search', 'options']);
  if (typeof body.action_type !== 'string' || !ACTION_TYPES.has(body.action_type))
    throw bad('Invalid action_type');
  if (body.action_type !== 'QUARANTINE')
    throw bad(`The fake implements QUARANTINE only, not ${body.action_type}`);
  if (body.search !== undefined)
    throw bad('The fake refuses search-scoped actions (they may reach any device)');
  const ids = body.device_id;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((i) => Number.isInteger(i))) {
    throw bad('device_id must be a non-empty list of integers');
  }
  const toggle = isObject(body.options) ? body.options.toggle : undefined;
  if (toggle !== 'ON' && toggle !== 'OFF') throw bad('options.toggle must be ON or OFF');
  const unknown = (ids as number[]).find((i) => !state.devices.has(i));
  if (unknown !== undefined) throw bad(`Unknown device ${unknown}`);
  for (const id of ids as number[]) state.toggle(id, toggle === 'ON');
  return { status: 204 };
}

const sessionJson = (s: FakeSession) => ({
  id: s.id,
  device_id: s.deviceId,
  status: s.status,
  check_in_timeout: s.checkInTimeout,
  create_time: new Date(s.created).toISOString(),
  supported_commands: SUPPORTED_COMMANDS,
});

function liveSession(state: CbState, sid: string): FakeSession {
  const s = state.sessions.get(sid);
  // A closed or timed-out session is gone, as the SDK expects (404 NOT_FOUND).
  if (!s || s.status === 'CLOSED' || s.status === 'TIMEOUT') throw notFound(`Session ${sid} not found`);
  return s;
}

function liveResponse(state: CbState, method: string, rest: string[], body: unknown): Answer {
  const [sid, sub, subId, tail] = rest;
  if (sid === undefined) {
    if (method !== 'POST') throw new CbFault(405, 'METHOD_NOT_ALLOWED', 'Method not allowed');
    if (!isObject(body)) throw bad('Body must be a JSON object');
    only(body, ['device_id']);
    const id = Number(body.device_id);
    const d = state.devices.get(id);
    if (!Number.isInteger(id) || !d)
      throw notFound(`Device ${String(body.device_id).slice(0, 20)} not found`);
    return { status: 200, json: sessionJson(state.openSession(id)) };
  }
  if (sub === undefined) {
    if (method === 'GET') {
      const s = state.sessions.get(sid);
      if (!s || s.status === 'CLOSED') throw notFound(`Session ${sid} not found`);
      return { status: 200, json: sessionJson(s) };
    }
    if (method === 'DELETE') {
      const s = state.sessions.get(sid);
      if (!s) throw notFound(`Session ${sid} not found`);
      s.status = 'CLOSED';
      return { status: 204 };
    }
    throw new CbFault(405, 'METHOD_NOT_ALLOWED', 'Method not allowed');
  }
  const s = liveSession(state, sid);
  if (sub === 'commands' && subId === undefined && method === 'POST') {
    if (s.status !== 'ACTIVE') throw bad(`Session ${sid} is not active`);
    if (!isObject(body)) throw bad('Body must be a JSON object');
    only(body, ['name', 'path', 'session_id', 'offset', 'get_count']);
    if (typeof body.name !== 'string' || !SUPPORTED_COMMANDS.includes(body.name))
      throw bad('Unsupported command');
    if (!RUNNABLE_COMMANDS.has(body.name))
      throw bad(`The fake runs process list and get file only, not ${body.name}`);
    if (body.name === 'get file' && (typeof body.path !== 'string' || body.path === ''))
      throw bad('get file needs a path');
    const c = state.addCommand(s, body.name, body.name === 'get file' ? (body.path as string) : undefined);
    return {
      status: 200,
      json: {
        id: c.id,
        name: c.name,
        status: 'PENDING',
        session_id: s.id,
        device_id: s.deviceId,
        ...(c.fileId ? { file_details: { file_id: c.fileId } } : {}),
      },
    };
  }
  if (sub === 'commands' && subId !== undefined && tail === undefined && method === 'GET') {
    const c = s.commands.find((x) => String(x.id) === subId);
    if (!c) throw notFound(`Command ${subId} not found`);
    const status = state.commandStatus(s, c);
    const d = state.devices.get(s.deviceId) as FakeDevice;
    return {
      status: 200,
      json: {
        id: c.id,
        name: c.name,
        status,
        session_id: s.id,
        device_id: s.deviceId,
        ...(status === 'ERROR'
          ? {
              result_type: 'WinHresult',
              result_code: 2147942402,
              result_desc: 'The system cannot find the file specified.',
            }
          : {}),
        ...(status === 'COMPLETE' && c.name === 'process list' ? { processes: d.processes } : {}),
        ...(c.fileId ? { file_details: { file_id: c.fileId } } : {}),
      },
    };
  }
  if (sub === 'files' && subId !== undefined && tail === 'content' && method === 'GET') {
    const content = s.files.get(subId);
    if (content === undefined) throw notFound(`File ${subId} not found`);
    return { status: 200, bytes: Buffer.from(content, 'utf8') };
  }
  throw notFound('Not found');
}

/** Dispatches one API call below `/appservices/v6/orgs/{org}/`. */
export function route(state: CbState, method: string, parts: string[], body: unknown): Answer {
  state.tick();
  const [head, ...rest] = parts;
  if (head === 'devices' && rest[0] === '_search' && rest.length === 1 && method === 'POST')
    return search(state, body);
  if (head === 'devices' && rest.length === 1 && method === 'GET') {
    const d = /^\d+$/.test(rest[0] as string) ? state.devices.get(Number(rest[0])) : undefined;
    if (!d) throw notFound(`Device ${String(rest[0]).slice(0, 20)} not found`);
    return { status: 200, json: deviceJson(d) };
  }
  if (head === 'device_actions' && rest.length === 0 && method === 'POST') return deviceAction(state, body);
  if (head === 'liveresponse' && rest[0] === 'sessions')
    return liveResponse(state, method, rest.slice(1), body);
  throw notFound('Not found');
}
