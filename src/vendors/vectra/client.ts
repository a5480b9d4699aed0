/**
 * The Vectra Detect API client used by observe/refer/tiles, the lead's respond
 * code and the automated-response engine. Endpoints only: transport, retries
 * and errors live in `http.ts`/`api.ts`, JSON → model in `parse.ts`, tag
 * algebra in `state.ts`. Every method answers parsed model objects and throws
 * only `RelayError`.
 */
import pLimit from 'p-limit';
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import type { VectraAccount, VectraDetection, VectraHost, VectraObjectKind } from '../../kernel/model.js';
import type { Observable } from '../../kernel/observables.js';
import type { RetryPolicy } from '../../kernel/upstream/transport.js';
import { sameTags } from '../../var/state.js';
import { type PageOptions, type Query, VectraApi } from './api.js';
import { IpLookups } from './batch.js';
import type { VectraConfig } from './config.js';
import {
  findGroups,
  type GroupType,
  type GroupWrite,
  type GroupWriteOptions,
  getGroupMembers,
  setGroupMembers,
} from './groups.js';
import { detectionDestinations, parseAccount, parseDetection, parseHost } from './parse.js';

export type { GroupType, GroupWrite, GroupWriteOptions } from './groups.js';

export interface VectraClientOptions {
  readonly retryPolicy?: RetryPolicy;
  /** Read-modify-write attempts of `updateTags` before giving up (default 4). */
  readonly maxTagAttempts?: number;
}

export interface VectraNote {
  readonly id: number | string;
  readonly note: string;
  readonly dateCreated: string | null;
}

const OBJECT_PATH: Record<VectraObjectKind, string> = {
  host: 'hosts',
  account: 'accounts',
  detection: 'detections',
};

/**
 * `fields=` of whole-set host and account reads: what `parse.ts` reads, within
 * the documented field names (vat `_generate_host_params`). Detections are
 * read whole: their documented `fields` values leave out `summary` and
 * `grouped_details`, which hold the destinations the engine blocks.
 */
export const HOST_LIST_FIELDS = [
  'id',
  'name',
  'ip',
  'last_source',
  'previous_ips',
  'threat',
  'certainty',
  'severity',
  'state',
  'key_asset',
  'is_key_asset',
  'tags',
  'host_artifact_set',
  'probable_owner',
  'last_detection_timestamp',
  'detection_set',
  'groups',
].join(',');
export const ACCOUNT_LIST_FIELDS = [
  'id',
  'name',
  'display_name',
  'account_type',
  'threat',
  'certainty',
  'severity',
  'state',
  'tags',
  'privilege_level',
  'privilege_category',
  'last_detection_timestamp',
  'detection_set',
].join(',');

const HOST_NAME_ARTIFACTS = new Set(['dns', 'rdns', 'dhcp', 'netbios', 'kerberos', 'windows_defender_name']);

const lower = (s: string) => s.toLowerCase();

/** Escapes a value for a quoted Lucene phrase (`field:"<value>"` in `search`). */
export const luceneEscape = (v: string): string => v.replace(/(["\\])/g, '\\$1');

export class VectraClient {
  readonly api: VectraApi;
  /** This request's batched IP lookups (v2.5 search; `batch.ts`). */
  readonly ips: IpLookups = new IpLookups(this);
  private readonly maxTagAttempts: number;

  constructor(
    readonly cfg: VectraConfig,
    readonly ctx: RequestContext,
    opts: VectraClientOptions = {},
  ) {
    this.api = new VectraApi(cfg, ctx, opts.retryPolicy);
    this.maxTagAttempts = opts.maxTagAttempts ?? 4;
  }

  get isV3(): boolean {
    return this.cfg.apiVersion === 'v3';
  }

  parseHost = (raw: unknown): VectraHost => parseHost(raw, { unblockTag: this.cfg.unblockHostTag });
  parseAccount = (raw: unknown): VectraAccount =>
    parseAccount(raw, { unblockTag: this.cfg.unblockAccountTag });

  /** Hosts matching an ip/ipv6 (current IP), hostname (name or name artifacts) or mac_address. */
  async findHosts(observable: Observable, opts: PageOptions = {}, warn?: Warn): Promise<VectraHost[]> {
    const v = observable.value;
    switch (observable.type) {
      case 'ip':
      case 'ipv6': {
        const batched = this.ips.hostsOf(v);
        return batched ? (await batched).slice(0, opts.maxItems) : this.hostsWithIp(v, opts);
      }
      case 'mac_address': {
        const mac = lower(v).replace(/-/g, ':');
        return this.listHosts({ mac_address: mac }, opts);
      }
      case 'hostname':
        return this.hostsByName(v, opts, warn);
      default:
        return [];
    }
  }

  /** Hosts whose current IP is `ip` (one call; `findHosts` answers from a batch when there is one). */
  async hostsWithIp(ip: string, opts: PageOptions = {}): Promise<VectraHost[]> {
    return (await this.listHosts({ last_source: ip }, opts)).filter((h) => h.ip === ip);
  }

  /** Active detections whose source is `ip`, at most `max` (from this request's batch when there is one). */
  sourceDetections(ip: string, max: number): Promise<unknown[]> {
    return this.ips.sourceDetectionsOf(ip) ?? this.detectionsFromIp(ip, max);
  }

  /** Detections whose destination is the ip/ipv6/domain observable (from the batch when there is one). */
  destinationDetections(o: Observable, max: number): Promise<unknown[]> {
    return (
      (o.type === 'domain' ? undefined : this.ips.destinationDetectionsOf(o.value)) ??
      this.detectionsTo(o, max)
    );
  }

  /** One call: active detections from `ip`. */
  detectionsFromIp(ip: string, max: number): Promise<unknown[]> {
    return this.listDetectionsRaw({ src_ip: ip, state: 'active' }, { maxItems: max });
  }

  /**
   * One call: detections whose destination (IP or domain) is the observable,
   * re-checked exactly. v2.5 searches the grouped details; v3 has no search and
   * asks `detections?destination=`.
   */
  async detectionsTo(o: Observable, max: number): Promise<unknown[]> {
    const field = o.type === 'domain' ? 'target_domains' : 'dst_ips';
    const opts = { maxItems: max };
    const found = this.isV3
      ? await this.listDetectionsRaw({ destination: o.value }, opts)
      : await this.search(
          'detections',
          `detection.grouped_details.${field}:"${luceneEscape(o.value)}"`,
          opts,
        );
    const want = o.value.toLowerCase();
    return found.filter((d) => {
      const dst = detectionDestinations(d);
      const values = o.type === 'domain' ? dst.domains : dst.ips;
      return values.some((v) => v.toLowerCase() === want);
    });
  }

  /**
   * Hosts named `name`: exact name, best name, or a name artifact (dns, rdns…);
   * an FQDN also matches its short host name. v2.5 also searches the AD host
   * name (`host.ldap.dns_hostname`, a field of Vectra's host search reference;
   * no public source lists the artifacts as searchable). Each query fails
   * alone: the others still answer, and the failure is reported as a warning
   * through `warn`.
   */
  private async hostsByName(name: string, opts: PageOptions, warn?: Warn): Promise<VectraHost[]> {
    const want = lower(name);
    const short = want.includes('.') ? want.split('.')[0] : undefined;
    const queries = [this.listHosts({ name }, opts)];
    if (short) queries.push(this.listHosts({ name: short }, opts));
    const viaLdap = new Set<number>();
    if (!this.isV3 && short) {
      const q = `host.ldap.dns_hostname:"${luceneEscape(name)}"`;
      const ldapMatch = (raw: unknown) =>
        [(raw as { ldap?: { dns_hostname?: unknown } })?.ldap?.dns_hostname]
          .flat()
          .some((v) => typeof v === 'string' && lower(v) === want);
      queries.push(
        this.search('hosts', q, opts).then((raw) =>
          raw.filter(ldapMatch).map((r) => {
            const h = this.parseHost(r);
            viaLdap.add(h.id);
            return h;
          }),
        ),
      );
    }
    const found = await settleAll(queries, warn);
    const byId = new Map(found.flat().map((h) => [h.id, h]));
    return [...byId.values()].filter(
      (h) =>
        viaLdap.has(h.id) ||
        lower(h.name) === want ||
        (short !== undefined && lower(h.name) === short) ||
        lower(h.fullName) === want ||
        h.artifacts.some((a) => HOST_NAME_ARTIFACTS.has(a.type) && lower(a.value) === want),
    );
  }

  /** Accounts whose name, display name or prefix-less name (`O365:x` → `x`) equals `name`. */
  async findAccounts(name: string, opts: PageOptions = {}): Promise<VectraAccount[]> {
    const want = lower(name);
    const accounts = await this.listAccounts({ name }, opts);
    return accounts.filter(
      (a) => lower(a.name) === want || lower(a.displayName) === want || lower(a.normalizedName) === want,
    );
  }

  /**
   * The detections of an account, read through its `detection_set` (both API
   * versions list it; a `/search` on the source account's name uses a field
   * no public source lists, and v3's `src_account` filter is undocumented).
   * At most `max`, newest ids first; each read fails alone (reported to `warn`).
   */
  async accountDetectionsRaw(account: VectraAccount, max: number, warn?: Warn): Promise<unknown[]> {
    const ids = [...account.detectionIds].sort((a, b) => b - a).slice(0, max);
    const limit = pLimit(this.ctx.config.upstreamConcurrency);
    const found = await settleAll(
      ids.map((id) => limit(() => this.api.get(`detections/${id}`, {}, true))),
      warn,
    );
    return found.filter((d) => d !== null);
  }

  async getHost(id: number): Promise<VectraHost | null> {
    const raw = await this.api.get(`hosts/${id}`, {}, true);
    return raw === null ? null : this.parseHost(raw);
  }

  async getAccount(id: number): Promise<VectraAccount | null> {
    const raw = await this.api.get(`accounts/${id}`, {}, true);
    return raw === null ? null : this.parseAccount(raw);
  }

  async getDetection(id: number): Promise<VectraDetection | null> {
    const raw = await this.api.get(`detections/${id}`, {}, true);
    return raw === null ? null : parseDetection(raw);
  }

  /**
   * All pages (capped). A `tags` filter is re-checked exactly (the API matches
   * substrings). On v2.5 every list asks for `all=true`: without it `/hosts`
   * answers only hosts with active detections, active traffic or key-asset
   * status (vat `_generate_host_params`), so a quiet blocked host would drop
   * out of `tags=VAR Host Blocked` and never be released. v3 documents no `all`
   * for hosts (its default scope is unknown, README).
   */
  async listHosts<Q extends Query<Q>>(query: Q = {} as Q, opts: PageOptions = {}): Promise<VectraHost[]> {
    const q = this.isV3 ? query : { all: true, ...query };
    return exactTag(query, (await this.api.list('hosts', q, opts)).map(this.parseHost));
  }

  /** Like `listHosts`; on v3 the score filters are `t_score_gte`/`c_score_gte` (vat platform.py). */
  async listAccounts<Q extends Query<Q>>(
    query: Q = {} as Q,
    opts: PageOptions = {},
  ): Promise<VectraAccount[]> {
    return exactTag(
      query,
      (await this.api.list('accounts', this.accountQuery(query), opts)).map(this.parseAccount),
    );
  }

  /** v3 accounts take `t_score_gte`/`c_score_gte` and no `uid`/`threat_gte` (vat `_generate_account_params`). */
  private accountQuery(query: object): Record<string, unknown> {
    if (!this.isV3) return { ...query };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(query)) {
      if (k === 'uid')
        throw new RelayError('invalid argument', 'Vectra v3 accounts cannot be filtered by uid.');
      out[ACCOUNT_V3_KEYS[k] ?? k] = v;
    }
    return out;
  }

  async listDetections<Q extends Query<Q>>(
    query: Q = {} as Q,
    opts: PageOptions = {},
  ): Promise<VectraDetection[]> {
    return exactTag(
      query,
      (await this.api.list('detections', query, opts)).map((d) => parseDetection(d)),
    );
  }

  /** Raw detections (for observe, which needs grouped details too). */
  listDetectionsRaw<Q extends Query<Q>>(query: Q = {} as Q, opts: PageOptions = {}): Promise<unknown[]> {
    return this.api.list('detections', query, opts);
  }

  /** v2.5 Lucene search (`search/hosts|detections|accounts`); raw results. */
  search(
    kind: 'hosts' | 'detections' | 'accounts',
    queryString: string,
    opts: PageOptions = {},
  ): Promise<unknown[]> {
    if (this.isV3)
      return Promise.reject(new RelayError('invalid argument', 'Search needs the Vectra v2.5 API.'));
    return this.api.list(`search/${kind}`, { query_string: queryString }, opts);
  }

  /**
   * Members of the group called exactly `name`: host ids, or accounts resolved
   * from their uids. Fails closed (`service unavailable`) rather than answer
   * from a partial group list, a group without its members or a partial
   * account lookup: the callers decide what may be blocked on this.
   */
  groupMembers(name: string, type: 'host'): Promise<number[]>;
  groupMembers(name: string, type: 'account'): Promise<VectraAccount[]>;
  async groupMembers(name: string, type: 'host' | 'account'): Promise<number[] | VectraAccount[]> {
    const groups = await findGroups(this.api, name, type);
    const members = groups.flatMap((g) => (Array.isArray(g.members) ? (g.members as unknown[]) : []));
    if (type === 'host') {
      const ids = members.map((m) => Number(typeof m === 'object' && m ? (m as { id?: unknown }).id : m));
      return [...new Set(ids.filter((id) => Number.isInteger(id)))];
    }
    const uids = [
      ...new Set(
        members
          .map((m) => (typeof m === 'object' && m ? (m as { uid?: unknown }).uid : m))
          .filter((u): u is string => typeof u === 'string' && u !== ''),
      ),
    ];
    // v2.5 has `accounts?uid=`; v3 has no uid filter, so it asks by name (the uid of
    // an account group member is the account's name there). Either way a brain that
    // ignores the filter answers other accounts: only answers carrying the member's
    // uid (or, without a `uid` field, that name) are members.
    const limit = pLimit(this.ctx.config.upstreamConcurrency);
    const found = await Promise.all(
      uids.map((uid) =>
        limit(async () => {
          const query = this.isV3 ? { name: uid } : { uid };
          const raw = await this.api.list('accounts', query, { requireComplete: true });
          return raw.filter((a) => accountUid(a) === uid).map(this.parseAccount);
        }),
      ),
    );
    const byId = new Map(found.flat().map((a) => [a.id, a]));
    return [...byId.values()];
  }

  /** Members of the ip/domain group called exactly `name` (lowest id if several); [] when there is none. */
  getGroupMembers(name: string, type: 'ip' | 'domain'): Promise<string[]> {
    return getGroupMembers(this.api, name, type);
  }

  /**
   * Replaces the members of the group called exactly `name` of `type` (host
   * ids, account uids, ip/domain strings), creating it when missing. Writes
   * nothing when the members already match. See `groups.ts`.
   */
  setGroupMembers(
    name: string,
    type: GroupType,
    members: readonly (string | number)[],
    opts: GroupWriteOptions = {},
  ): Promise<GroupWrite> {
    return setGroupMembers(this.api, name, type, members, opts);
  }

  /** v3: hosts or accounts with urgency ≥ `minUrgency`, most urgent first, as model objects. */
  entitiesByUrgency(type: 'host', minUrgency: number, opts?: PageOptions): Promise<VectraHost[]>;
  entitiesByUrgency(type: 'account', minUrgency: number, opts?: PageOptions): Promise<VectraAccount[]>;
  async entitiesByUrgency(
    type: 'host' | 'account',
    minUrgency: number,
    opts: PageOptions = {},
  ): Promise<VectraHost[] | VectraAccount[]> {
    if (!this.isV3) throw new RelayError('invalid argument', 'Urgency scoring needs the Vectra v3 API.');
    const picked: Array<{ id: number; urgency: number }> = [];
    // Sorted by urgency: stop at the first page whose tail is below the bar.
    const urgencyOf = (e: unknown) => Number((e as { urgency_score?: unknown })?.urgency_score ?? 0);
    const entities = (await this.api.list(
      'entities',
      { type, ordering: '-urgency_score' },
      { ...opts, stopAt: (e) => urgencyOf(e) < minUrgency },
    )) as Array<Record<string, unknown>>;
    for (const e of entities) {
      const urgency = urgencyOf(e);
      if ((e.type ?? e.entity_type ?? type) === type) picked.push({ id: Number(e.id), urgency });
    }
    const limit = pLimit(this.ctx.config.upstreamConcurrency);
    const get = (id: number): Promise<VectraHost | VectraAccount | null> =>
      type === 'host' ? this.getHost(id) : this.getAccount(id);
    const objects = await Promise.all(picked.map((p) => limit(() => get(p.id))));
    return objects
      .map((o, i) => (o ? { ...o, urgency: picked[i]?.urgency ?? o.urgency } : null))
      .filter((o) => o !== null) as VectraHost[] | VectraAccount[];
  }

  /**
   * v3: the entity's urgency (`GET /entities/{id}?type=`). v3 hosts and
   * accounts carry no `urgency_score` (it lives on entities only), so
   * sightings read it here; null when the entity is gone or has none.
   */
  async entityUrgency(type: 'host' | 'account', id: number): Promise<number | null> {
    const e = (await this.api.get(`entities/${id}`, { type }, true)) as { urgency_score?: unknown } | null;
    return typeof e?.urgency_score === 'number' ? e.urgency_score : null;
  }

  /** Current tags of an object (`GET /tagging/{kind}/{id}`). */
  async getTags(kind: VectraObjectKind, id: number): Promise<string[]> {
    const body = (await this.api.get(`tagging/${kind}/${id}`)) as { tags?: unknown } | null;
    return Array.isArray(body?.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : [];
  }

  /**
   * Read-modify-write of an object's tags (the API replaces the whole list).
   * `mutate` gets the current tags and must keep what it does not own (the
   * `state.ts` functions do). After writing, the tags are read again; if a
   * concurrent writer changed them, `mutate` is re-applied to the new list.
   * Returns the final tags.
   */
  async updateTags(
    kind: VectraObjectKind,
    id: number,
    mutate: (current: string[]) => string[],
  ): Promise<string[]> {
    let current = await this.getTags(kind, id);
    for (let attempt = 1; attempt <= this.maxTagAttempts; attempt++) {
      const next = [...new Set(mutate([...current]))];
      if (sameTags(next, current)) return current;
      await this.api.patch(`tagging/${kind}/${id}`, { tags: next });
      const after = await this.getTags(kind, id);
      if (sameTags(after, next)) return after;
      this.ctx.log.warn('Vectra tags changed concurrently; re-applying', { kind, id, attempt });
      current = after;
    }
    throw new RelayError(
      'state conflict',
      `The ${kind} ${id} tags kept changing in Vectra Detect; try again.`,
    );
  }

  /** Adds a note (never edits or deletes). Retried only on 429. */
  async addNote(kind: VectraObjectKind, id: number, text: string): Promise<VectraNote> {
    const body = (await this.api.post(`${OBJECT_PATH[kind]}/${id}/notes`, { note: text })) as Record<
      string,
      unknown
    >;
    return {
      id: (body?.id as number | string | undefined) ?? '',
      note: typeof body?.note === 'string' ? body.note : text,
      dateCreated: typeof body?.date_created === 'string' ? body.date_created : null,
    };
  }

  /** One cheap authenticated call; on OAuth the token request is part of the proof. */
  async health(): Promise<void> {
    await this.api.get('hosts', { page_size: 1 });
  }
}

type Warn = (err: unknown) => void;

const ACCOUNT_V3_KEYS: Record<string, string> = {
  threat_gte: 't_score_gte',
  certainty_gte: 'c_score_gte',
  threat: 't_score',
  certainty: 'c_score',
};

/** The uid an account answer carries: `uid`, else its `name`. */
function accountUid(raw: unknown): string | undefined {
  const a = (raw ?? {}) as { uid?: unknown; name?: unknown };
  const v = typeof a.uid === 'string' ? a.uid : a.name;
  return typeof v === 'string' ? v : undefined;
}

/**
 * The values of the queries that answered; each failure goes to `warn` (a
 * partial result plus a warning). With no `warn`, or when every query failed,
 * the first failure is thrown.
 */
async function settleAll<T>(queries: Array<Promise<T>>, warn?: Warn): Promise<T[]> {
  const settled = await Promise.allSettled(queries);
  const ok = settled.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled');
  const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0 && (warn === undefined || ok.length === 0)) throw failed[0]?.reason;
  for (const f of failed) warn?.(f.reason);
  return ok.map((r) => r.value);
}

function exactTag<T extends { allTags: readonly string[] }>(query: object, items: T[]): T[] {
  const tag = (query as { tags?: unknown }).tags;
  return typeof tag === 'string' && tag !== '' ? items.filter((i) => i.allTags.includes(tag)) : items;
}
