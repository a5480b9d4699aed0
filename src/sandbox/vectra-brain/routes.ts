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
import { fieldsOf, parseLucene, type Query } from './lucene.js';
import { SEARCH_FIELDS, unknownParam } from './params.js';
import { applyFilters, order, paginate, searchMatch } from './query.js';
import type { BrainState, RawObject } from './store.js';
import { assignments, closeDetections, markFixed, resolveAssignment } from './triage.js';

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
  /** `v2.5`, `v3.4`, `v3.5`… (the path's version). */
  readonly release: string;
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

  if (resource === 'search' && req.flavour !== 'v2.5') return notFound();
  if (req.method === 'GET' && resource !== 'tagging' && sub !== 'notes') {
    // A real brain documents its parameters per version and endpoint; one it does not
    // know may be dropped silently, which answers *everything* (see params.ts).
    const endpoint = resource === 'search' || resource === 'lockdown' ? parts.join('/') : resource;
    const byId = id !== undefined && resource !== 'search' && resource !== 'lockdown';
    const unknown = unknownParam(req.flavour, endpoint, byId, req.params);
    if (unknown !== undefined) {
      return { status: 400, body: { detail: `Unknown query parameter "${unknown}" for ${endpoint}.` } };
    }
  }
  if (resource === 'lockdown') return lockdown(state, req, parts);
  if (resource === 'tagging' && parts.length === 3) return tagging(state, req, idPart ?? '', Number(sub));
  if (resource === 'search' && idPart && parts.length === 2) {
    if (req.flavour !== 'v2.5' || req.method !== 'GET') return notFound();
    return search(view, idPart, req);
  }
  if (sub === 'notes' && id !== undefined && parts.length === 3) return notes(state, req, resource, id);
  if (resource === 'detections' && parts.length === 2 && idPart === 'close')
    return closeDetections(state, req);
  if (resource === 'detections' && parts.length === 1 && req.method !== 'GET') return markFixed(state, req);
  if (resource === 'assignments' && parts.length === 1)
    return assignments(state, req, (items) => paginate(items, req.params, req.url, MAX_PAGE_SIZE, (o) => o));
  if (resource === 'assignments' && parts.length === 3 && sub === 'resolve' && id !== undefined)
    return resolveAssignment(state, req, id);
  if (resource === 'assignment_outcomes' && parts.length === 1 && req.method === 'GET')
    return paginate(state.outcomes, req.params, req.url, MAX_PAGE_SIZE, (o) => ({ ...o }));
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
  // v2.5 `/hosts` without `all=True` lists only hosts with active detections, active traffic
  // or key-asset status (vat `modules/vectra.py` `_generate_host_params`, README.md).
  const scope =
    resource === 'hosts' && req.flavour === 'v2.5' && !truthy(req.params.get('all'))
      ? (h: RawObject) => view.hostInDefaultScope(h)
      : undefined;
  return list(resource, [...stored.values()], req, (o) => view.serve(resource, o), scope);
}

/**
 * Vectra's own lockdown lists: v2.5 `GET /lockdown/account`, v3.3+ `GET /lockdown?type=`
 * (vat `get_lockdown`). Entries as `{id, entity_id, entity_name, lock_event_timestamp,
 * locked_by, unlock_event_timestamp, certainty, type}` (field names: README.md, partly unknown).
 */
function lockdown(state: BrainState, req: ApiRequest, parts: string[]): ApiResponse {
  if (req.method !== 'GET') return { status: 405, body: { detail: `Method "${req.method}" not allowed.` } };
  const kind =
    req.flavour === 'v2.5'
      ? parts.length === 2 && parts[1] === 'account'
        ? 'account'
        : undefined
      : req.params.get('type');
  if (req.flavour === 'v2.5' && kind === undefined) return notFound();
  if (req.flavour === 'v3' && parts.length !== 1) return notFound();
  if (kind !== 'host' && kind !== 'account')
    return { status: 400, body: { detail: 'type must be host or account' } };
  return ok(state.lockdowns.filter((l) => l.type === kind).map((l) => ({ ...l })));
}

/** DRF boolean query parameter `include_members` (`true`, `True`, `1`). */
const includeMembers = (params: URLSearchParams) =>
  ['true', '1'].includes((params.get('include_members') ?? '').toLowerCase());

function list(
  resource: string,
  items: RawObject[],
  req: ApiRequest,
  serve: (o: RawObject) => RawObject = (o) => o,
  inScope: (o: RawObject) => boolean = () => true,
): ApiResponse {
  const scoped = items.filter(inScope);
  const filtered = applyFilters(resource, scoped, req.params);
  const sorted = order(filtered, req.params.get('ordering'));
  const fields = (req.params.get('fields') ?? '').split(',').filter(Boolean);
  const project = fields.length === 0 ? serve : (o: RawObject) => pick(serve(o), fields);
  return paginate(sorted, req.params, req.url, MAX_PAGE_SIZE, project);
}

/** `fields=a,b`: only those keys of the served object (unknown names are simply absent). */
function pick(o: RawObject, fields: string[]): RawObject {
  return Object.fromEntries(fields.filter((f) => f in o).map((f) => [f, o[f]]));
}

/** DRF boolean query parameter (`true`, `True`, `1`). */
const truthy = (v: string | null) => ['true', '1'].includes((v ?? '').toLowerCase());

function search(view: View, kind: string, req: ApiRequest): ApiResponse {
  const stored = view.stored(kind);
  if (!stored || kind === 'groups') return notFound();
  const items = [...stored.values()];
  const q = req.params.get('query_string') ?? '';
  const known = SEARCH_FIELDS[kind] ?? new Set<string>();
  const parsed = parseQuery(q);
  // The real brain's answer to a query it cannot parse is unknown (README.md): refused, never guessed.
  if (parsed instanceof Error) return { status: 422, body: { detail: `Invalid query: ${parsed.message}.` } };
  const unknownField = parsed ? fieldsOf(parsed).find((f) => !known.has(f)) : undefined;
  if (unknownField !== undefined) {
    // Advanced search validates fields against its index mapping (params.ts).
    return { status: 422, body: { detail: `Unknown search field "${unknownField}".` } };
  }
  const matched = parsed ? items.filter((o) => searchMatch(o, parsed)) : items;
  const serve = (o: RawObject) => view.serve(kind, o);
  return paginate(order(matched, req.params.get('ordering')), req.params, req.url, MAX_PAGE_SIZE, serve);
}

function parseQuery(q: string): Query | undefined | Error {
  try {
    return q.trim() === '' ? undefined : parseLucene(q);
  } catch (err) {
    return err as Error;
  }
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

  /** Listed by v2.5 `/hosts` without `all`: active detections, active traffic or key asset. */
  hostInDefaultScope(h: RawObject): boolean {
    if (h.key_asset === true || h.active_traffic === true) return true;
    for (const id of this.state.detectionsByHost.get(h.id as number) ?? []) {
      const d = this.state.detections.get(id);
      if (d && d.state === 'active' && (d.src_host as RawObject | null)?.id === h.id) return true;
    }
    return false;
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
    // Urgency lives on v3 entities only: hosts and accounts carry no `urgency_score`.
    const { urgency_score: _urgency, ...rest } = h;
    return {
      ...structuredClone(rest),
      url: this.api(`hosts/${h.id}`),
      host_url: `${this.req.origin}/hosts/${h.id}`,
      detection_set: this.detectionSet(this.state.detectionsByHost.get(h.id as number), 'src_host', h.id),
    };
  }

  account(a: RawObject): RawObject {
    const { urgency_score: _urgency, ...rest } = a;
    return {
      ...structuredClone(rest),
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
  /**
   * Shaped like `demisto/content` `Packs/VectraXDR/.../test_data/list_entity_response.json`:
   * integer `importance`, capitalised `severity`, `host_type`/`account_type` as lists
   * (the other one null) and `url` pointing at `/hosts/{id}` or `/accounts/{id}`.
   */
  private entityOf(o: RawObject, t: 'host' | 'account'): RawObject {
    const sev = String(o.severity ?? 'low');
    const ids = t === 'host' ? this.state.detectionsByHost : this.state.detectionsByAccount;
    return {
      id: o.id,
      name: o.name,
      type: t,
      entity_type: t,
      is_prioritized: Number(o.urgency_score) >= 50,
      severity: sev.charAt(0).toUpperCase() + sev.slice(1),
      urgency_score: o.urgency_score,
      attack_rating: Math.round(Number(o.threat) / 10),
      importance: 1,
      entity_importance: 1,
      state: o.state,
      tags: [...(o.tags as string[])],
      notes: [],
      detection_set: this.detectionSet(
        ids.get(o.id as number),
        t === 'host' ? 'src_host' : 'src_account',
        o.id,
      ),
      last_detection_timestamp: o.last_detection_timestamp,
      url: this.api(`${t}s/${o.id}`),
      host_type: t === 'host' ? ['workstation'] : null,
      account_type: t === 'account' ? [String(o.account_type)] : null,
    };
  }
}
