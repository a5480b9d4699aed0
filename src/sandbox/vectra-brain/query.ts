/**
 * Query semantics of the fake brain: list filters per resource (with the real
 * brain's substring `tags` and a case-insensitive substring `name`), DRF
 * ordering and pagination with absolute `next` links, and the small Lucene
 * subset of v2.5 `/search` (`lucene.ts`).
 */
import { parseLucene, type Query } from './lucene.js';
import type { RawObject } from './store.js';

type Params = URLSearchParams;
type Filter = (o: RawObject, value: string) => boolean;

const lc = (v: unknown) => String(v ?? '').toLowerCase();
const num = (v: unknown) => Number(v ?? 0);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const time = (v: unknown) => Date.parse(String(v ?? '')) || 0;

const common: Record<string, Filter> = {
  state: (o, v) => lc(o.state) === lc(v),
  tags: (o, v) => strings(o.tags).some((t) => lc(t).includes(lc(v))),
  threat: (o, v) => num(o.threat) === Number(v),
  threat_gte: (o, v) => num(o.threat) >= Number(v),
  certainty: (o, v) => num(o.certainty) === Number(v),
  certainty_gte: (o, v) => num(o.certainty) >= Number(v),
  t_score: (o, v) => num(o.threat) === Number(v),
  t_score_gte: (o, v) => num(o.threat) >= Number(v),
  c_score: (o, v) => num(o.certainty) === Number(v),
  c_score_gte: (o, v) => num(o.certainty) >= Number(v),
  id: (o, v) => v.split(',').map(Number).includes(num(o.id)),
  min_id: (o, v) => num(o.id) >= Number(v),
  max_id: (o, v) => num(o.id) <= Number(v),
  name: (o, v) => lc(o.name).includes(lc(v)),
  last_detection_timestamp_gte: (o, v) => time(o.last_detection_timestamp) >= time(v),
  last_detection_timestamp_lte: (o, v) => time(o.last_detection_timestamp) <= time(v),
};

/** Every destination IP/domain of a detection. */
export function destinations(d: RawObject): string[] {
  const summary = (d.summary ?? {}) as RawObject;
  const out = [...strings(summary.dst_ips), ...strings(summary.target_domains)];
  for (const g of (Array.isArray(d.grouped_details) ? d.grouped_details : []) as RawObject[]) {
    out.push(...strings(g.dst_ips), ...strings(g.target_domains));
  }
  return out.map(lc);
}

export const FILTERS: Record<string, Record<string, Filter>> = {
  hosts: {
    ...common,
    last_source: (o, v) => o.last_source === v,
    mac_address: (o, v) =>
      (o.host_artifact_set as RawObject[]).some((a) => a.type === 'mac' && lc(a.value) === lc(v)),
    key_asset: (o, v) => String(o.key_asset) === lc(v),
  },
  accounts: {
    ...common,
    uid: (o, v) => o.uid === v,
    privilege_level_gte: (o, v) => num(o.privilege_level) >= Number(v),
  },
  detections: {
    ...common,
    src_ip: (o, v) => o.src_ip === v,
    host_id: (o, v) => num((o.src_host as RawObject | null)?.id) === Number(v),
    detection_type: (o, v) => lc(o.detection_type) === lc(v),
    detection_category: (o, v) => lc(o.category) === lc(v),
    category: (o, v) => lc(o.category) === lc(v),
    is_triaged: (o, v) => String(o.is_triaged) === lc(v),
    destination: (o, v) => destinations(o).includes(lc(v)),
    // v3.4 only; whether it takes an id or a name is undocumented: the fake takes the id (README.md).
    src_account: (o, v) => String((o.src_account as RawObject | null)?.id ?? '') === v,
    last_timestamp_gte: (o, v) => time(o.last_timestamp) >= time(v),
    name: () => true,
  },
  groups: {
    name: (o, v) => lc(o.name).includes(lc(v)),
    type: (o, v) => o.type === v,
  },
  entities: {
    ...common,
    type: (o, v) => o.type === v,
    is_prioritized: (o, v) => String(o.is_prioritized) === lc(v),
  },
};

/** Applies the filters of `resource`; parameters without one (paging, `fields`, `all`) were validated by `params.ts`. */
export function applyFilters(resource: string, items: RawObject[], params: Params): RawObject[] {
  const filters = FILTERS[resource] ?? {};
  let out = items;
  for (const [key, value] of params) {
    const f = filters[key];
    if (f) out = out.filter((o) => f(o, value));
  }
  return out;
}

/** DRF `ordering=field` / `-field`; default by id. Keys are computed once per item, not per comparison. */
export function order(items: RawObject[], ordering: string | null): RawObject[] {
  const desc = ordering?.startsWith('-') ?? false;
  const field = ordering ? ordering.replace(/^-/, '') : 'id';
  const key = (o: RawObject) => {
    const v = o[field];
    return typeof v === 'number' ? v : typeof v === 'string' && /^\d{4}-/.test(v) ? time(v) : lc(v);
  };
  const keyed = items.map((o) => ({ o, k: key(o), id: num(o.id) }));
  keyed.sort((a, b) => {
    const c = a.k < b.k ? -1 : a.k > b.k ? 1 : a.id - b.id;
    return desc ? -c : c;
  });
  return keyed.map((x) => x.o);
}

export interface PageResult {
  status: number;
  body: unknown;
}

/**
 * DRF page envelope with absolute `next`/`previous`; a page past the end is a
 * 404. `serve` turns each stored item of the page into its served form.
 */
export function paginate(
  items: RawObject[],
  params: Params,
  selfUrl: URL,
  maxPageSize: number,
  serve: (o: RawObject) => RawObject = (o) => o,
): PageResult {
  const pageSize = Math.min(Math.max(1, Number(params.get('page_size') ?? 50) || 50), maxPageSize);
  const page = Math.max(1, Number(params.get('page') ?? 1) || 1);
  const start = (page - 1) * pageSize;
  if (page > 1 && start >= items.length) {
    return { status: 404, body: { detail: `Invalid page "${page}": That page contains no results.` } };
  }
  const link = (p: number) => {
    const u = new URL(selfUrl);
    u.searchParams.set('page', String(p));
    u.searchParams.set('page_size', String(pageSize));
    return u.toString();
  };
  return {
    status: 200,
    body: {
      count: items.length,
      next: start + pageSize < items.length ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      results: items.slice(start, start + pageSize).map(serve),
    },
  };
}

/** Values at a dotted path, flattening arrays on the way. */
function valuesAt(o: unknown, path: string[]): unknown[] {
  if (path.length === 0) return Array.isArray(o) ? o : [o];
  if (Array.isArray(o)) return o.flatMap((x) => valuesAt(x, path));
  if (typeof o !== 'object' || o === null) return [];
  const [head, ...rest] = path;
  return valuesAt((o as RawObject)[head as string], rest);
}

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');

/** Whether `o` matches the query (`lucene.ts` for the subset). */
export function searchMatch(o: RawObject, queryString: string | Query): boolean {
  const q = typeof queryString === 'string' ? parseLucene(queryString) : queryString;
  return matches(o, q);
}

function matches(o: RawObject, q: Query): boolean {
  if (q.kind === 'and') return q.parts.every((p) => matches(o, p));
  if (q.kind === 'or') return q.parts.some((p) => matches(o, p));
  if (q.kind === 'not') return !matches(o, q.part);
  const values = valuesAt(o, q.field.split('.').slice(1));
  if (q.op) {
    const n = Number(q.value);
    return values.some((v) => {
      const x = Number(v);
      return q.op === '>=' ? x >= n : q.op === '>' ? x > n : q.op === '<=' ? x <= n : x < n;
    });
  }
  if (q.quoted) return values.some((v) => lc(v) === lc(q.value));
  const re = glob(q.value);
  return values.some((v) => re.test(String(v)));
}
