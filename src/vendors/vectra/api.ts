/**
 * Authenticated JSON calls on the brain's API base and DRF pagination. Adds
 * the Authorization header (retrying once with a fresh OAuth token when a
 * cached one is refused), turns non-2xx answers into `RelayError`s, and walks
 * `next` links only while they stay on the brain's origin, up to a page cap.
 */
import type { RequestContext } from '../../kernel/context.js';
import { authError, RelayError } from '../../kernel/errors.js';
import { type RetryPolicy, Transport, type TransportResponse } from '../../kernel/upstream/transport.js';
import { authorization, invalidate } from './auth.js';
import type { VectraConfig } from './config.js';
import { VENDOR } from './product.js';

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
}

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
      { product: VENDOR, urlField: 'vectra_url', baseUrl: cfg.url, secrets, policy },
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

  /**
   * Follows `next` (absolute, or relative to the page, on the brain origin only)
   * until null, the page cap, or `maxItems`; returns raw results. A list cut
   * short is warned about and answered, or refused with `requireComplete`.
   */
  async list(path: string, query: object = {}, opts: PageOptions = {}): Promise<unknown[]> {
    const maxItems = opts.maxItems ?? DEFAULT_MAX_ITEMS;
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
    let next: string | null = this.url(path, { ...query, page_size: pageSize });
    for (let page = 0; next; page++) {
      if (out.length >= maxItems) {
        // Another page exists past maxItems: only a cut when the caller needs everything.
        if (opts.requireComplete) cutShort(`more than ${maxItems} items`);
        break;
      }
      if (page >= MAX_PAGES) {
        cutShort(`more than ${MAX_PAGES} pages`, { pages: MAX_PAGES });
        break;
      }
      const current: string = next;
      const body = await this.call('GET', current, undefined, page > 0);
      if (body === null) break; // a page past the end answers 404
      if (Array.isArray(body)) {
        out.push(...body);
        break;
      }
      const env = (typeof body === 'object' && body !== null ? body : {}) as {
        results?: unknown;
        next?: unknown;
      };
      // An answer without a results list is not "nothing": under requireComplete an empty
      // blocked-tag list would read as "unblock everything".
      if (!Array.isArray(env.results)) cutShort('an answer without a results list');
      const results: unknown[] = Array.isArray(env.results) ? env.results : [];
      const stop = opts.stopAt ? results.findIndex(opts.stopAt) : -1;
      if (stop >= 0) {
        out.push(...results.slice(0, stop));
        return out.slice(0, maxItems);
      }
      out.push(...results);
      next = this.nextPage(env.next, current, cutShort);
    }
    if (out.length > maxItems && opts.requireComplete) cutShort(`more than ${maxItems} items`);
    return out.slice(0, maxItems);
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
      cutShort('the next link leaves the brain origin');
      return null;
    }
    return url.toString();
  }

  /** `count` of a list query (one page of one item). */
  async count(path: string, query: object = {}): Promise<number> {
    const body = (await this.get(path, { ...query, page_size: 1 })) as { count?: unknown } | null;
    return typeof body?.count === 'number' ? body.count : 0;
  }

  private async call(method: 'GET' | 'POST' | 'PATCH', url: string, body: unknown, allow404 = false) {
    let res = await this.once(method, url, body);
    if (res.status === 401 && this.cfg.auth.kind === 'oauth') {
      // The cached token may have been revoked or expired early: one fresh try.
      res = await this.once(method, url, body);
    }
    if (res.status >= 200 && res.status < 300) return parseJson(res);
    if (res.status === 404 && allow404) return null;
    // Our words, not the brain's: a bad API token must not read like a bad relay JWT.
    if (res.status === 401) throw authError(`${VENDOR} rejected the API token (HTTP 401).`);
    throw this.transport.statusError(res);
  }

  private async once(method: 'GET' | 'POST' | 'PATCH', url: string, body: unknown) {
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
      idempotent: method !== 'POST',
    });
    if (res.status === 401) invalidate(this.cfg.auth, header);
    return res;
  }
}

function parseJson(res: TransportResponse): unknown {
  if (res.text === '') return {};
  try {
    return JSON.parse(res.text);
  } catch {
    throw new RelayError('unknown', `Unexpected response from ${VENDOR}: the answer is not JSON`);
  }
}
