/**
 * Authenticated JSON calls on the brain's API base and DRF pagination. Adds
 * the Authorization header (retrying once with a fresh OAuth token when a
 * cached one is refused), turns non-2xx answers into `RelayError`s, and walks
 * `next` links (re-based onto the configured origin), up to a page cap.
 */
import type { RequestContext } from '../../kernel/context.js';
import { authError, RelayError } from '../../kernel/errors.js';
import { retryAfterMs } from '../../kernel/upstream/errors.js';
import {
  DEFAULT_RETRY_POLICY,
  MAX_BODY_BYTES,
  type RetryPolicy,
  Transport,
  type TransportResponse,
} from '../../kernel/upstream/transport.js';
import { authorization, invalidate } from './auth.js';
import type { VectraConfig } from './config.js';
import { VENDOR } from './product.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT';

export type QueryValue = string | number | boolean | undefined;
/** Query parameters. Written as a mapped type so that interfaces with such fields fit too. */
export type Query<Q = Record<string, QueryValue>> = { readonly [K in keyof Q]: QueryValue };

export interface PageOptions {
  /** Stop after this many items (default 5000). */
  readonly maxItems?: number;
  /** Items per page requested (default 500). */
  readonly pageSize?: number;
  /** Stops at the first item for which this is true (that item and the rest are dropped). */
  readonly stopAt?: (item: unknown) => boolean;
  /**
   * The caller decides on the whole list (a no-block group, a write): rather
   * than answer a partial list, throw `service unavailable` when the list is
   * cut short (the page cap, more than `maxItems` items, or a `next` link
   * that is invalid or leaves the brain origin). Default false: warn and
   * answer the partial list (observe/refer tolerate that). `stopAt` and a
   * 404 past the last page end a list normally either way.
   */
  readonly requireComplete?: boolean;
  /** Page cap (default `MAX_PAGES`); whole-set readers raise it with `maxItems`. */
  readonly maxPages?: number;
}

/**
 * A brain's `Retry-After` is honoured whatever its length, as long as the
 * retried call still fits the request's deadline (the transport checks it):
 * the relay's deadline is `REQUEST_DEADLINE_MS`, the engine's is its run
 * budget. The transport default (10 s) failed a 429 asking for 11 s at once.
 */
export const VECTRA_RETRY_POLICY: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  maxRetryAfterMs: Number.POSITIVE_INFINITY,
};

export const MAX_PAGES = 50;
export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_MAX_ITEMS = 5000;

export class VectraApi {
  readonly transport: Transport;

  constructor(
    readonly cfg: VectraConfig,
    readonly ctx: RequestContext,
    policy?: RetryPolicy,
  ) {
    const secrets = cfg.auth.kind === 'token' ? [cfg.auth.token] : [cfg.auth.clientSecret];
    this.transport = new Transport(
      {
        product: VENDOR,
        urlField: 'vectra_url',
        baseUrl: cfg.url,
        secrets,
        policy: policy ?? VECTRA_RETRY_POLICY,
      },
      ctx,
    );
  }

  /** `<apiBase>/<path>?<query>`. */
  url(path: string, query: object = {}): string {
    const u = new URL(`${this.cfg.apiBase}/${path.replace(/^\/+/, '')}`);
    for (const [k, v] of Object.entries(query) as Array<[string, unknown]>) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  /** GET returning JSON; `null` on 404 when `allow404`. */
  async get(path: string, query: object = {}, allow404 = false): Promise<unknown> {
    return this.call('GET', this.url(path, query), undefined, allow404);
  }

  async patch(path: string, body: unknown): Promise<unknown> {
    return this.call('PATCH', this.url(path), body);
  }

  /** Non-idempotent: only retried on 429. */
  async post(path: string, body: unknown): Promise<unknown> {
    return this.call('POST', this.url(path), body);
  }

  /** Only retried on 429: a resolve sent twice answers "already resolved". */
  async put(path: string, body: unknown): Promise<unknown> {
    return this.call('PUT', this.url(path), body);
  }

  /**
   * PATCH on another API release of the same brain (`/api/v3.5/...`): the
   * relay's reads stay on its configured release, one write needs a newer one.
   */
  async patchRelease(release: string, path: string, body: unknown): Promise<unknown> {
    return this.call('PATCH', `${this.cfg.url}/api/${release}/${path.replace(/^\/+/, '')}`, body);
  }

  /**
   * Follows `next` (absolute, or relative to the page, on the brain origin only)
   * until null, the page cap, or `maxItems`; returns raw results. A list cut
   * short is warned about and answered, or refused with `requireComplete`.
   */
  async list(path: string, query: object = {}, opts: PageOptions = {}): Promise<unknown[]> {
    const maxItems = opts.maxItems ?? DEFAULT_MAX_ITEMS;
    const maxPages = opts.maxPages ?? MAX_PAGES;
    const pageSize = Math.min(opts.pageSize ?? DEFAULT_PAGE_SIZE, Math.max(1, maxItems));
    const out: unknown[] = [];
    const cutShort = (reason: string, fields: Record<string, unknown> = {}) => {
      if (opts.requireComplete) {
        throw new RelayError(
          'service unavailable',
          `The ${VENDOR} list ${path} was cut short (${reason}); nothing was decided on a partial list.`,
        );
      }
      this.ctx.log.warn(`Vectra pagination stopped: ${reason}`, { path, ...fields });
    };
    /**
     * Keeps only what is still wanted of a page (no spread: a huge upstream array would
     * overflow the stack); true when the page held more than that.
     */
    const take = (items: readonly unknown[]): boolean => {
      const room = Math.max(0, maxItems - out.length);
      const n = Math.min(room, items.length);
      for (let i = 0; i < n; i++) out.push(items[i]);
      return items.length > room;
    };
    const overflow = () => {
      if (opts.requireComplete) cutShort(`more than ${maxItems} items`);
    };
    let next: string | null = this.url(path, { ...query, page_size: pageSize });
    let expected = 0;
    for (let page = 0; next; page++) {
      if (out.length >= maxItems) {
        // Another page exists past maxItems: only a cut when the caller needs everything.
        if (opts.requireComplete) cutShort(`more than ${maxItems} items`);
        break;
      }
      if (page >= maxPages) {
        cutShort(`more than ${maxPages} pages of ${pageSize} items`, { pages: maxPages });
        break;
      }
      const current: string = next;
      const body = await this.call('GET', current, undefined, page > 0).catch((err: unknown) => {
        throw tooLargePage(err, path, pageSize);
      });
      if (body === null) {
        // A page past the end answers 404; one while `count` promised more is a cut.
        if (out.length < expected)
          cutShort(`a linked page answered 404 after ${out.length} of ${expected} items`);
        break;
      }
      if (Array.isArray(body)) {
        if (take(body)) overflow();
        break;
      }
      const env = (typeof body === 'object' && body !== null ? body : {}) as {
        results?: unknown;
        next?: unknown;
        count?: unknown;
      };
      if (page === 0 && typeof env.count === 'number') expected = env.count;
      // An answer without a results list is not "nothing": under requireComplete an empty
      // blocked-tag list would read as "unblock everything".
      if (!Array.isArray(env.results)) cutShort('an answer without a results list');
      const results: unknown[] = Array.isArray(env.results) ? env.results : [];
      const stop = opts.stopAt ? results.findIndex(opts.stopAt) : -1;
      if (stop >= 0) {
        if (take(results.slice(0, stop))) overflow();
        return out;
      }
      if (take(results)) {
        overflow();
        break;
      }
      next = this.nextPage(env.next, current, cutShort);
    }
    return out;
  }

  /** The absolute URL of a `next` link, or null at the end or when it cannot be followed (`cutShort`). */
  private nextPage(raw: unknown, current: string, cutShort: (reason: string) => void): string | null {
    if (typeof raw !== 'string' || raw === '') return null;
    let url: URL;
    try {
      url = new URL(raw, current);
    } catch {
      cutShort('the next link is not a valid URL');
      return null;
    }
    if (url.origin !== this.transport.origin) {
      // A brain reached by IP answers with its FQDN, a proxy with the inner name: the
      // link's path and query are what matter, re-based onto the configured origin
      // (requests never leave it, whatever a brain writes into its links).
      const rebased = new URL(`${url.pathname}${url.search}`, this.transport.origin);
      this.ctx.log.debug('Vectra next link re-based onto the configured origin', { path: url.pathname });
      return rebased.toString();
    }
    return url.toString();
  }

  /** `count` of a list query (one page of one item). */
  async count(path: string, query: object = {}): Promise<number> {
    const body = (await this.get(path, { ...query, page_size: 1 })) as { count?: unknown } | null;
    return typeof body?.count === 'number' ? body.count : 0;
  }

  private async call(method: Method, url: string, body: unknown, allow404 = false) {
    let res = await this.once(method, url, body);
    if (res.status === 401 && this.cfg.auth.kind === 'oauth') {
      // The cached token may have been revoked or expired early: one fresh try.
      res = await this.once(method, url, body);
    }
    if (res.status >= 200 && res.status < 300) return parseJson(res);
    if (res.status === 404 && allow404) return null;
    // Our words, not the brain's: a bad API token must not read like a bad relay JWT.
    if (res.status === 401) throw authError(`${VENDOR} rejected the API token (HTTP 401).`);
    const err = this.transport.statusError(res);
    const wait = res.status === 429 ? retryAfterMs(res.headers['retry-after']) : undefined;
    if (wait !== undefined && wait > 0) {
      // Said so that the analyst knows when to retry (the wait did not fit the deadline).
      const left = Math.max(0, Math.round((this.ctx.deadline - Date.now()) / 1000));
      throw new RelayError(
        err.code,
        `${err.message} (${VENDOR} asked to retry after ${Math.ceil(wait / 1000)} s; ${left} s were left)`,
      );
    }
    throw err;
  }

  private async once(method: Method, url: string, body: unknown) {
    const header = await authorization(this.cfg.auth, this.transport);
    const res: TransportResponse = await this.transport.send({
      method,
      url,
      headers: {
        authorization: header,
        'cache-control': 'no-cache',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      idempotent: method === 'GET' || method === 'PATCH',
    });
    if (res.status === 401) invalidate(this.cfg.auth, header, this.transport.caches);
    return res;
  }
}

/**
 * The transport's answer-size error for a list page, naming the limit that was
 * hit and the page that hit it (the page size is ours to lower).
 */
function tooLargePage(err: unknown, path: string, pageSize: number): unknown {
  if (!(err instanceof RelayError) || !/larger than/.test(err.message)) return err;
  return new RelayError(
    err.code,
    `${err.message} A page of ${pageSize} items of ${path} hit the answer-size limit (${MAX_BODY_BYTES} bytes); ask for fewer fields or smaller pages.`,
  );
}

function parseJson(res: TransportResponse): unknown {
  if (res.text === '') return {};
  try {
    return JSON.parse(res.text);
  } catch {
    throw new RelayError('unknown', `Unexpected response from ${VENDOR}: the answer is not JSON`);
  }
}
