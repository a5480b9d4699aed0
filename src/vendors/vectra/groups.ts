/**
 * Vectra group reads and writes by exact name (vectra.md §4.3). The API's
 * `name` filter matches loosely (a substring on some brains), so every lookup
 * re-checks name and type client-side. Writes replace the whole member list:
 * `POST /groups` creates a missing group, `PATCH /groups/{id}` `{members}`
 * replaces the members of an existing one. Errors are the transport's
 * `RelayError`s, plus `invalid argument` for members the API would refuse.
 */
import { RelayError } from '../../kernel/errors.js';
import type { VectraApi } from './api.js';
import { VENDOR } from './product.js';

export type GroupType = 'ip' | 'domain' | 'host' | 'account';

/** What `setGroupMembers` did. */
export type GroupWrite = 'created' | 'updated' | 'unchanged';

export interface GroupWriteOptions {
  /** Used when the group is created; an existing group keeps its description. */
  readonly description?: string;
}

/** A group as listed: only the fields this module reads. */
export interface RawGroup {
  readonly id: number | string;
  readonly name: string;
  readonly type?: unknown;
  readonly members?: unknown;
}

const isId = (v: unknown): v is number | string =>
  (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '');

/**
 * Every group called exactly `name` of `type`, lowest id first, so that the
 * read and the write of a caller always pick the same group when duplicates
 * exist. A group listed without a `type` is taken as matching (older brains).
 *
 * Fails closed: every caller decides on the result (the no-block groups, the
 * block lists, a write), so the listing must be complete (`requireComplete`)
 * and every match must carry its `members`. The list asks for them
 * (`include_members=true` on v3.4, which omits members otherwise; v2.5 does not
 * document the parameter and always lists them); a
 * match still listed without them is read again by id, and one without
 * members there either is `service unavailable`, never an empty group.
 */
export async function findGroups(api: VectraApi, name: string, type: GroupType): Promise<RawGroup[]> {
  // `include_members` is a v3.4 parameter (vat platform.py); v2.5 always lists members.
  const query = api.cfg.apiVersion === 'v3' ? { name, type, include_members: true } : { name, type };
  const listed = await api.list('groups', query, { requireComplete: true });
  const matches = listed
    .filter(
      (g): g is RawGroup =>
        typeof g === 'object' &&
        g !== null &&
        (g as RawGroup).name === name &&
        isId((g as RawGroup).id) &&
        ((g as RawGroup).type === undefined || (g as RawGroup).type === type),
    )
    .sort((a, b) => Number(a.id) - Number(b.id) || String(a.id).localeCompare(String(b.id)));
  const withMembers = await Promise.all(matches.map((g) => withMembersOf(api, g)));
  return withMembers.filter((g): g is RawGroup => g !== null);
}

/** `g` if it lists its members, else the group read by id (null if it is gone meanwhile). */
async function withMembersOf(api: VectraApi, g: RawGroup): Promise<RawGroup | null> {
  if (Array.isArray(g.members)) return g;
  const byId = (await api.get(`groups/${encodeURIComponent(String(g.id))}`, {}, true)) as RawGroup | null;
  if (byId === null) return null;
  if (!Array.isArray(byId?.members)) {
    throw new RelayError(
      'service unavailable',
      `The ${VENDOR} group "${g.name}" (${String(g.id)}) was listed without its members; nothing was decided on it.`,
    );
  }
  return { ...g, members: byId.members };
}

/**
 * The members in the form the API writes: host ids (numbers), account uids or
 * ip/domain strings; de-duplicated, order kept. Throws `invalid argument` for
 * a member of the wrong kind rather than sending it.
 */
export function memberPayload(
  type: GroupType,
  members: readonly (string | number)[],
): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of members) {
    if (type === 'host') {
      const id = typeof m === 'number' ? m : /^\d+$/.test(m) ? Number(m) : Number.NaN;
      if (!Number.isSafeInteger(id) || id <= 0)
        throw new RelayError('invalid argument', `A host group member must be a host id, not "${m}".`);
      out.push(id);
    } else {
      const s = String(m).trim();
      if (s === '') throw new RelayError('invalid argument', `An empty ${type} group member is not allowed.`);
      out.push(s);
    }
  }
  return [...new Set(out)];
}

/** Member keys as comparable strings (host objects by id, account objects by uid). */
function memberKeys(type: GroupType, members: unknown): Set<string> {
  const list = Array.isArray(members) ? members : []; // `findGroups` guarantees an array
  const key = (m: unknown): unknown => {
    if (typeof m !== 'object' || m === null) return m;
    return type === 'host' ? (m as { id?: unknown }).id : (m as { uid?: unknown }).uid;
  };
  return new Set(list.map(key).filter(isId).map(String));
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/**
 * Makes `members` the full member list of the group called exactly `name` of
 * `type`, creating it (importance `medium`, which v3 requires) when missing.
 * Writes nothing when the members already match as a set. If another writer
 * creates the group between our lookup and our POST, the POST fails and the
 * group found on a second lookup is patched instead.
 */
export async function setGroupMembers(
  api: VectraApi,
  name: string,
  type: GroupType,
  members: readonly (string | number)[],
  opts: GroupWriteOptions = {},
): Promise<GroupWrite> {
  if (name.trim() === '') throw new RelayError('invalid argument', 'A Vectra group needs a name.');
  const payload = memberPayload(type, members);
  const wanted = new Set(payload.map(String));
  const patch = async (g: RawGroup): Promise<GroupWrite> => {
    if (sameSet(memberKeys(type, g.members), wanted)) return 'unchanged';
    await api.patch(`groups/${encodeURIComponent(String(g.id))}`, { members: payload });
    return 'updated';
  };
  const [existing] = await findGroups(api, name, type);
  if (existing) return patch(existing);
  if (type === 'domain' && payload.length === 0) {
    throw new RelayError('invalid argument', 'Vectra refuses to create a domain group without members.');
  }
  try {
    await api.post('groups', {
      name,
      description: opts.description ?? '',
      type,
      members: payload,
      importance: 'medium',
    });
    return 'created';
  } catch (err) {
    const [raced] = await findGroups(api, name, type).catch(() => []);
    if (!raced) throw err;
    return patch(raced);
  }
}

/** Members of the ip/domain group called exactly `name` (the one `setGroupMembers` writes); [] when absent. */
export async function getGroupMembers(
  api: VectraApi,
  name: string,
  type: 'ip' | 'domain',
): Promise<string[]> {
  const [group] = await findGroups(api, name, type);
  const members = Array.isArray(group?.members) ? group.members : [];
  return members.filter((m): m is string => typeof m === 'string');
}
