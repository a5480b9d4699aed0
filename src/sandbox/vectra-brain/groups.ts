/**
 * Group writes of the fake brain (vectra.md §4.3): `POST /groups` creates a
 * group, `PATCH /groups/{id}` replaces its name, description, importance or
 * whole member list. Members are written as host ids, account uids or
 * ip/domain strings and served shaped by type (see `routes.ts`). Validation
 * follows what the real brain refuses, so clients meet the same 400s here:
 * a missing name or type, a v3 group without
 * importance, a domain group created without members, members of the wrong
 * kind; a duplicate name+type is a 409 (vat `create_group` callers treat it as
 * "exists").
 */
import { isIP } from 'node:net';
import type { BrainState, RawObject } from './store.js';

export interface GroupWriteRequest {
  readonly flavour: 'v2.5' | 'v3';
  readonly method: string;
  readonly body: unknown;
}

export interface GroupWriteResponse {
  status: number;
  body: unknown;
}

const TYPES = new Set(['host', 'account', 'ip', 'domain']);
const IMPORTANCE = new Set(['high', 'medium', 'low', 'never_prioritize']);
/** Who the fake brain records as `last_modified_by` for API writes. */
const API_USER = 'api_client';

const bad = (detail: string): GroupWriteResponse => ({ status: 400, body: { detail } });

/** An IPv4/IPv6 address, a CIDR block or an `a-b` range: the forms an ip group holds. */
function isIpMember(v: string): boolean {
  const cidr = /^(.+)\/(\d{1,3})$/.exec(v);
  if (cidr) {
    const family = isIP(cidr[1] ?? '');
    return family !== 0 && Number(cidr[2]) <= (family === 4 ? 32 : 128);
  }
  const range = v.split('-');
  if (range.length === 2) return range.every((p) => isIP(p) !== 0);
  return isIP(v) !== 0;
}

/** The stored member list for `type`, or a 400 naming the first bad member. */
function parseMembers(
  state: BrainState,
  type: string,
  raw: unknown,
): Array<number | string> | GroupWriteResponse {
  if (!Array.isArray(raw)) return bad('members must be a list');
  const out: Array<number | string> = [];
  for (const m of raw) {
    if (type === 'host') {
      // Host groups take host ids; an unknown id is refused like the real brain does.
      if (!Number.isInteger(m) || !state.hosts.has(m as number))
        return bad(`Invalid host id "${String(m)}".`);
      out.push(m as number);
    } else if (typeof m !== 'string' || m.trim() === '') {
      return bad(`Invalid ${type} group member "${String(m)}".`);
    } else if (type === 'ip' && !isIpMember(m.trim())) {
      return bad(`Invalid IP address "${m}".`);
    } else {
      out.push(m.trim());
    }
  }
  return [...new Set(out)];
}

const duplicate = (state: BrainState, name: string, type: unknown, except?: number) =>
  [...state.groups.values()].some((g) => g.name === name && g.type === type && g.id !== except);

/**
 * `POST /groups` (`id` undefined) or `PATCH /groups/{id}`; `serve` shapes the
 * stored group as the API answers it. Any other method is a 405.
 */
export function writeGroup(
  state: BrainState,
  req: GroupWriteRequest,
  id: number | undefined,
  serve: (g: RawObject) => RawObject,
): GroupWriteResponse {
  const body = req.body;
  if (req.method === 'POST' && id === undefined) {
    if (typeof body !== 'object' || body === null) return bad('A JSON object is required.');
    const b = body as RawObject;
    if (typeof b.name !== 'string' || b.name.trim() === '') return bad('name is required');
    if (typeof b.type !== 'string' || !TYPES.has(b.type))
      return bad('type must be host, account, ip or domain');
    if (b.description !== undefined && typeof b.description !== 'string')
      return bad('description must be a string');
    // v3 requires importance; v2.5 defaults it.
    if (b.importance === undefined && req.flavour === 'v3') return bad('importance is required');
    if (b.importance !== undefined && !IMPORTANCE.has(String(b.importance)))
      return bad('importance must be high, medium, low or never_prioritize');
    const members = parseMembers(state, b.type, b.members ?? []);
    if (!Array.isArray(members)) return members;
    if (b.type === 'domain' && members.length === 0) return bad('A domain group needs at least one member.');
    if (duplicate(state, b.name, b.type))
      return { status: 409, body: { detail: 'A group with this name and type already exists.' } };
    const group = state.addGroup({
      name: b.name,
      type: b.type as 'host' | 'account' | 'ip' | 'domain',
      description: (b.description as string | undefined) ?? '',
      importance: (b.importance as 'high' | 'medium' | 'low' | 'never_prioritize' | undefined) ?? 'medium',
      members: [],
    });
    state.setGroupMembers(group.id, members, API_USER);
    return { status: 201, body: serve(group) };
  }
  if (req.method === 'PATCH' && id !== undefined) {
    const group = state.groups.get(id);
    if (!group) return { status: 404, body: { detail: 'Not found.' } };
    if (typeof body !== 'object' || body === null) return bad('A JSON object is required.');
    const b = body as RawObject;
    if (b.type !== undefined && b.type !== group.type) return bad('The type of a group cannot change.');
    if (b.name !== undefined && (typeof b.name !== 'string' || b.name.trim() === ''))
      return bad('name must be a non-empty string');
    if (typeof b.name === 'string' && duplicate(state, b.name, group.type, id))
      return { status: 409, body: { detail: 'A group with this name and type already exists.' } };
    if (b.description !== undefined && typeof b.description !== 'string')
      return bad('description must be a string');
    if (b.importance !== undefined && !IMPORTANCE.has(String(b.importance)))
      return bad('importance must be high, medium, low or never_prioritize');
    const members = b.members === undefined ? undefined : parseMembers(state, String(group.type), b.members);
    if (members !== undefined && !Array.isArray(members)) return members;
    // Validated as a whole before anything changes: a refused PATCH leaves the group as it was.
    if (typeof b.name === 'string') group.name = b.name;
    if (typeof b.description === 'string') group.description = b.description;
    if (b.importance !== undefined) group.importance = b.importance;
    state.setGroupMembers(id, members ?? (group.members as Array<number | string>), API_USER);
    return { status: 200, body: serve(group) };
  }
  return { status: 405, body: { detail: `Method "${req.method}" not allowed.` } };
}
