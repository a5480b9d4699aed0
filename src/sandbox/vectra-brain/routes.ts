/**
 * API handlers of the fake brain, shared by `/api/v2.5` and `/api/v3.4`:
 * hosts, accounts, detections, groups (reads here, writes in `groups.ts`),
 * tagging, notes, v3 entities and v2.5 search (v3 lists groups without their
 * members unless `include_members=true`). Each handler answers
 * `{status, body}`; the server does transport, auth, failure injection and
 * logging. Lists filter and page the stored objects first and copy only the
 * page they serve: at 10,000 hosts, copying everything per call cost ~100 ms.
 */
import { writeGroup } from './groups.js';
import { applyFilters, order, paginate, searchMatch } from './query.js';
import type { BrainState, RawObject } from './store.js';

export interface ApiRequest {
  readonly flavour: 'v2.5' | 'v3';
  readonly method: string;
  /** Path below the version base, without leading slash: `hosts/1`. */
  readonly path: string;
  readonly params: URLSearchParams;
  readonly body: unknown;
  /** `http://127.0.0.1:port`. */
  readonly origin: string;
  /** `/api/v2.5` or `/api/v3.4`. */
  readonly apiBase: string;
  /** The full request URL (for `next` links). */
  readonly url: URL;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

const MAX_PAGE_SIZE = 5000;
const notFound = (): ApiResponse => ({ status: 404, body: { detail: 'Not found.' } });
const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

export function handleApi(state: BrainState, req: ApiRequest): ApiResponse {
  const parts = req.path.split('/').filter(Boolean);
  const [resource = '', idPart, sub] = parts;
  const id = idPart === undefined ? undefined : Number(idPart);
  const view = new View(state, req);

  if (resource === 'tagging' && parts.length === 3) return tagging(state, req, idPart ?? '', Number(sub));
  if (resource === 'search' && idPart && parts.length === 2) {
    if (req.flavour !== 'v2.5' || req.method !== 'GET') return notFound();
    return search(view, idPart, req);
  }
  if (sub === 'notes' && id !== undefined && parts.length === 3) return notes(state, req, resource, id);
  if (resource === 'groups' && req.method !== 'GET' && parts.length <= 2) {
    return writeGroup(state, req, id, (g) => view.serve('groups', g));
  }
  if (req.method !== 'GET') return { status: 405, body: { detail: `Method "${req.method}" not allowed.` } };

  if (resource === 'entities') {
    if (req.flavour !== 'v3') return notFound();
    const type = req.params.get('type');
    const kind = type === 'account' ? 'account' : type === 'host' ? 'host' : undefined;
    if (id !== undefined) {
      const e = view.entity(kind, id);
      return e ? ok(e) : notFound();
    }
    return list('entities', view.entities(kind), req);
  }
  // Filter, order and page the stored objects; only the served page is copied and linked.
  const stored = view.stored(resource);
  if (!stored) return notFound();
  if (id !== undefined && parts.length === 2) {
    const found = stored.get(id);
    return found ? ok(view.serve(resource, found)) : notFound();
  }
  if (parts.length !== 1) return notFound();
  if (resource === 'groups' && req.flavour === 'v3' && !includeMembers(req.params)) {
    // v3.4 lists groups without their members unless asked (`include_members`, vectra.md §4.3).
    return list(resource, [...stored.values()], req, (o) => {
      const { members: _members, ...rest } = view.serve(resource, o);
      return rest;
    });
  }
  return list(resource, [...stored.values()], req, (o) => view.serve(resource, o));
}

/** DRF boolean query parameter `include_members` (`true`, `True`, `1`). */
const includeMembers = (params: URLSearchParams) =>
  ['true', '1'].includes((params.get('include_members') ?? '').toLowerCase());

function list(
  resource: string,
  items: RawObject[],
  req: ApiRequest,
  serve?: (o: RawObject) => RawObject,
): ApiResponse {
  const filtered = applyFilters(resource, items, req.params);
  const sorted = order(filtered, req.params.get('ordering'));
  return paginate(sorted, req.params, req.url, MAX_PAGE_SIZE, serve);
}

function search(view: View, kind: string, req: ApiRequest): ApiResponse {
  const stored = view.stored(kind);
  if (!stored || kind === 'groups') return notFound();
  const items = [...stored.values()];
  const q = req.params.get('query_string') ?? '';
  const matched = q.trim() === '' ? items : items.filter((o) => searchMatch(o, q));
  const serve = (o: RawObject) => view.serve(kind, o);
  return paginate(order(matched, req.params.get('ordering')), req.params, req.url, MAX_PAGE_SIZE, serve);
}

function tagging(state: BrainState, req: ApiRequest, kind: string, id: number): ApiResponse {
  const obj = state.collection(kind)?.get(id);
  if (!obj || !['host', 'account', 'detection'].includes(kind)) return notFound();
  if (req.method === 'PATCH') {
    const tags = (req.body as { tags?: unknown } | null)?.tags;
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
      return { status: 400, body: { detail: 'tags must be a list of strings' } };
    }
    obj.tags = [...new Set(tags as string[])];
  } else if (req.method !== 'GET') {
    return { status: 405, body: { detail: `Method "${req.method}" not allowed.` } };
  }
  return ok({ status: 'success', tag_id: String(id), tags: [...(obj.tags as string[])] });
}

function notes(state: BrainState, req: ApiRequest, resource: string, id: number): ApiResponse {
  const kind = resource.replace(/s$/, '');
  if (!state.collection(resource)?.get(id) || !['host', 'account', 'detection'].includes(kind))
    return notFound();
  if (req.method === 'GET') return ok(state.notes.get(`${kind}:${id}`) ?? []);
  if (req.method !== 'POST') return { status: 405, body: { detail: `Method "${req.method}" not allowed.` } };
  const note = (req.body as { note?: unknown } | null)?.note;
  if (typeof note !== 'string' || note.trim() === '')
    return { status: 400, body: { detail: 'note is required' } };
  return ok(state.addNote(kind, id, note), 201);
}

/** Served (linked) copies of the stored objects. */
class View {
  constructor(
    private readonly state: BrainState,
    private readonly req: ApiRequest,
  ) {}

  private api(path: string) {
    return `${this.req.origin}${this.req.apiBase}/${path}`;
  }

  /** Links of the indexed detections still sourced from `owner` (re-checked: the index only grows). */
  private detectionSet(ids: Set<number> | undefined, source: 'src_host' | 'src_account', owner: unknown) {
    const out: string[] = [];
    for (const id of ids ?? []) {
      const d = this.state.detections.get(id);
      if (d && (d[source] as RawObject | null)?.id === owner) out.push(this.api(`detections/${id}`));
    }
    return out;
  }

  /** The stored objects behind a list resource (not copies: never hand these out). */
  stored(resource: string): Map<number, RawObject> | undefined {
    return resource === 'groups' ? this.state.groups : this.state.collection(resource);
  }

  /** The served form of one stored object of `resource`. */
  serve(resource: string, o: RawObject): RawObject {
    switch (resource) {
      case 'hosts':
        return this.host(o);
      case 'accounts':
        return this.account(o);
      case 'groups':
        return this.group(o);
      default:
        return {
          ...structuredClone(o),
          url: this.api(`detections/${o.id}`),
          detection_url: this.api(`detections/${o.id}`),
        };
    }
  }

  host(h: RawObject): RawObject {
    return {
      ...structuredClone(h),
      url: this.api(`hosts/${h.id}`),
      host_url: `${this.req.origin}/hosts/${h.id}`,
      detection_set: this.detectionSet(this.state.detectionsByHost.get(h.id as number), 'src_host', h.id),
    };
  }

  account(a: RawObject): RawObject {
    return {
      ...structuredClone(a),
      url: this.api(`accounts/${a.id}`),
      detection_set: this.detectionSet(
        this.state.detectionsByAccount.get(a.id as number),
        'src_account',
        a.id,
      ),
    };
  }

  group(g: RawObject): RawObject {
    const members = g.members as Array<number | string>;
    const shaped =
      g.type === 'host'
        ? members.map((m) => {
            const h = this.state.hosts.get(Number(m));
            return {
              id: Number(m),
              name: h?.name ?? null,
              is_key_asset: h?.key_asset ?? false,
              url: this.api(`hosts/${m}`),
            };
          })
        : g.type === 'account'
          ? members.map((uid) => ({ uid: String(uid) }))
          : members.map(String);
    return { ...structuredClone(g), members: shaped };
  }

  /** One entity by id: a host first unless `type` says account (ids overlap across kinds). */
  entity(type: 'host' | 'account' | undefined, id: number): RawObject | undefined {
    const host = type === 'account' ? undefined : this.state.hosts.get(id);
    if (host) return this.entityOf(host, 'host');
    const account = type === 'host' ? undefined : this.state.accounts.get(id);
    return account ? this.entityOf(account, 'account') : undefined;
  }

  entities(type: 'host' | 'account' | undefined): RawObject[] {
    const hosts =
      type === 'account' ? [] : [...this.state.hosts.values()].map((h) => this.entityOf(h, 'host'));
    const accounts =
      type === 'host' ? [] : [...this.state.accounts.values()].map((a) => this.entityOf(a, 'account'));
    return [...hosts, ...accounts];
  }

  /** The v3 entity view of a host or account (small and built fresh, so no copy is needed). */
  private entityOf(o: RawObject, t: 'host' | 'account'): RawObject {
    return {
      id: o.id,
      name: o.name,
      type: t,
      entity_type: t,
      is_prioritized: Number(o.urgency_score) >= 50,
      severity: o.severity,
      urgency_score: o.urgency_score,
      attack_rating: Math.round(Number(o.threat) / 10),
      importance: 'medium',
      state: o.state,
      tags: [...(o.tags as string[])],
      last_detection_timestamp: o.last_detection_timestamp,
      url: this.api(`entities/${o.id}?type=${t}`),
      [`${t}_type`]: t === 'host' ? 'workstation' : o.account_type,
    };
  }
}
