/**
 * IP lookups of one request in O(1) round trips on v2.5: every ip/ipv6
 * observable's hosts in one `search/hosts` query
 * (`host.last_source:"a" OR host.last_source:"b" …`), its detections as a
 * source in one `search/detections` query (`detection.state:"active" AND
 * (detection.src_ip:"a" OR …)`) and as a destination in another
 * (`detection.grouped_details.dst_ips:"a" OR …`), each paged and split only when
 * the query string would grow past `MAX_QUERY_CHARS`. Every answer is re-checked
 * exactly per observable (the search matches what its index matches). Fields
 * and operators are the verified ones (`src/sandbox/vectra-brain/README.md`).
 *
 * When a search is refused (400/404/422, or a status the brain should not give
 * a read, such as 414), the lookups fall back to the per-observable calls
 * (`hosts?last_source=`, `detections?src_ip=`, one destination search each).
 * v3 has no search: there, and for a single observable, nothing is batched and
 * the callers' per-observable calls run under the transport's bound.
 */
import { isIP } from 'node:net';
import type { VectraHost } from '../../kernel/model.js';
import type { Observable } from '../../kernel/observables.js';
import type { PageOptions } from './api.js';
import type { VectraClient } from './client.js';
import { detectionDestinations } from './parse.js';

/**
 * Longest query string of one batched search (characters before URL encoding;
 * about 90 IPv4 terms). A real brain's URL limit is not documented; 3,000
 * characters encode to well under the 8 KB request line common servers accept,
 * and a brain that refuses it anyway (414) gets the per-observable calls.
 */
export const MAX_QUERY_CHARS = 3000;
/** Detections per page of a batched detection search (detections are large; the engine reads 100 too). */
const DETECTION_PAGE = 100;
/** Items one batched query may answer before it is cut (pages of the per-observable caps). */
const MAX_BATCH_ITEMS = 5000;

type Lookup<T> = Promise<T[]>;

/** The values of the ip/ipv6 observables (what `IpLookups.prefetch` batches). */
export const ipValues = (observables: readonly Observable[]): string[] =>
  observables.filter((o) => o.type === 'ip' || o.type === 'ipv6').map((o) => o.value);

const quoted = (v: string) => `"${v.replace(/(["\\])/g, '\\$1')}"`;

/** `field:"a" OR field:"b" …` chunks, each at most `MAX_QUERY_CHARS` with `wrap` applied. */
export function orQueries(field: string, values: readonly string[], wrap = (q: string) => q): string[] {
  const out: string[] = [];
  let terms: string[] = [];
  const flush = () => {
    if (terms.length) out.push(wrap(terms.join(' OR ')));
    terms = [];
  };
  for (const v of values) {
    const term = `${field}:${quoted(v)}`;
    if (terms.length && wrap([...terms, term].join(' OR ')).length > MAX_QUERY_CHARS) flush();
    terms.push(term);
  }
  flush();
  return out;
}

/**
 * A refusal of the search itself (400/422, 404, or another status such as 414, or
 * an answer too large): worth the per-observable path. An outage, credentials,
 * throttling, TLS or network failure would fail those calls too: it is reported.
 */
const refused = (err: unknown): boolean => {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (code === 'invalid argument' || code === 'not found') return true;
  return code === 'unknown' && typeof message === 'string' && message.startsWith('Unexpected response from');
};

export class IpLookups {
  private readonly hosts = new Map<string, Lookup<VectraHost>>();
  private readonly sources = new Map<string, Lookup<unknown>>();
  private readonly destinations = new Map<string, Lookup<unknown>>();

  constructor(private readonly client: VectraClient) {}

  /**
   * Starts the batched lookups for these values (v2.5, two or more IPs not yet
   * looked up); `hostsOf` and the detection getters then answer from them.
   * The caps are per IP: hosts kept, detections kept as source and as destination.
   */
  prefetch(
    values: readonly string[],
    want: { hosts?: number; sources?: number; destinations?: number },
  ): void {
    if (this.client.isV3) return;
    const ips = [...new Set(values)].filter((v) => isIP(v) !== 0);
    const { hosts, sources, destinations } = want;
    const c = this.client;
    if (hosts !== undefined)
      this.batch(
        ips,
        this.hosts,
        (todo) => this.searchHosts(todo, hosts),
        (ip) => c.hostsWithIp(ip, { maxItems: hosts }),
      );
    if (sources !== undefined)
      this.batch(
        ips,
        this.sources,
        (todo) => this.searchSources(todo, sources),
        (ip) => c.detectionsFromIp(ip, sources),
      );
    if (destinations !== undefined)
      this.batch(
        ips,
        this.destinations,
        (todo) => this.searchDestinations(todo, destinations),
        (ip) => c.detectionsTo({ type: isIP(ip) === 6 ? 'ipv6' : 'ip', value: ip }, destinations),
      );
  }

  /** The prefetched hosts of `ip`, or undefined when it was not batched. */
  hostsOf(ip: string): Lookup<VectraHost> | undefined {
    return this.hosts.get(ip);
  }

  sourceDetectionsOf(ip: string): Lookup<unknown> | undefined {
    return this.sources.get(ip);
  }

  destinationDetectionsOf(ip: string): Lookup<unknown> | undefined {
    return this.destinations.get(ip);
  }

  /**
   * One shared search for the IPs not yet in `memo`; each IP gets its share,
   * or, when the search is refused, its own call (`one`), which fails alone.
   */
  private batch<T>(
    ips: readonly string[],
    memo: Map<string, Lookup<T>>,
    search: (ips: string[]) => Promise<Map<string, T[]> | null>,
    one: (ip: string) => Lookup<T>,
  ): void {
    const todo = ips.filter((ip) => !memo.has(ip));
    if (todo.length < 2) return;
    const shared = search(todo);
    for (const ip of todo) {
      const mine = shared.then((m) => (m === null ? one(ip) : (m.get(ip) ?? [])));
      // Only awaited by the observable's own lookup; keep an unawaited one from crashing the process.
      mine.catch(() => undefined);
      memo.set(ip, mine);
    }
  }

  /** `search()` over every chunk, or null when the brain refuses the search (fallback). */
  private async searchAll(
    kind: 'hosts' | 'detections',
    queries: string[],
    opts: PageOptions,
  ): Promise<unknown[] | null> {
    try {
      const pages = await Promise.all(queries.map((q) => this.client.search(kind, q, opts)));
      return pages.flat();
    } catch (err) {
      if (!refused(err)) throw err;
      this.client.ctx.log.warn('Vectra search refused; looking observables up one by one', {
        kind,
        code: (err as { code?: string }).code,
      });
      return null;
    }
  }

  private async searchHosts(ips: string[], perIp: number): Promise<Map<string, VectraHost[]> | null> {
    const opts = { maxItems: Math.min(MAX_BATCH_ITEMS, perIp * ips.length) };
    const raw = await this.searchAll('hosts', orQueries('host.last_source', ips), opts);
    if (raw === null) return null;
    const wanted = new Set(ips);
    const byIp = new Map<string, VectraHost[]>();
    for (const h of raw.map(this.client.parseHost)) {
      if (h.ip !== null && wanted.has(h.ip)) byIp.set(h.ip, [...(byIp.get(h.ip) ?? []), h].slice(0, perIp));
    }
    return byIp;
  }

  private async searchSources(ips: string[], perIp: number): Promise<Map<string, unknown[]> | null> {
    const queries = orQueries('detection.src_ip', ips, (q) => `detection.state:"active" AND (${q})`);
    const opts = { maxItems: Math.min(MAX_BATCH_ITEMS, perIp * ips.length), pageSize: DETECTION_PAGE };
    const raw = await this.searchAll('detections', queries, opts);
    if (raw === null) return null;
    const wanted = new Set(ips);
    const byIp = new Map<string, unknown[]>();
    for (const d of raw) {
      const { src_ip: src, state } = (d ?? {}) as { src_ip?: unknown; state?: unknown };
      if (typeof src === 'string' && wanted.has(src) && String(state).toLowerCase() === 'active')
        byIp.set(src, [...(byIp.get(src) ?? []), d].slice(0, perIp));
    }
    return byIp;
  }

  private async searchDestinations(ips: string[], perIp: number): Promise<Map<string, unknown[]> | null> {
    const queries = orQueries('detection.grouped_details.dst_ips', ips);
    const opts = { maxItems: Math.min(MAX_BATCH_ITEMS, perIp * ips.length), pageSize: DETECTION_PAGE };
    const raw = await this.searchAll('detections', queries, opts);
    if (raw === null) return null;
    const wanted = new Map(ips.map((ip) => [ip.toLowerCase(), ip]));
    const byIp = new Map<string, unknown[]>();
    for (const d of raw) {
      for (const dst of new Set(detectionDestinations(d).ips.map((v) => v.toLowerCase()))) {
        const ip = wanted.get(dst);
        if (ip !== undefined) byIp.set(ip, [...(byIp.get(ip) ?? []), d].slice(0, perIp));
      }
    }
    return byIp;
  }
}
