/**
 * Authenticated JSON calls on the brain's API base and DRF pagination. Adds
 * the Authorization header (retrying once with a fresh OAuth token when a
 * cached one is refused), turns non-2xx answers into `RelayError`s, and walks
 * `next` links only while they stay on the brain's origin, up to a page cap.
 */
import type { RequestContext } from '../../relay/context.js';
import { RelayError } from '../../relay/errors.js';
import { authorization, invalidate } from './auth.js';
import type { VectraConfig } from './config.js';
import { type RetryPolicy, Transport, type TransportResponse, VENDOR } from './http.js';

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
    this.transport = new Transport(cfg.url, ctx, secrets, policy);
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

  /** Follows `next` until null, the page cap, or `maxItems`; returns raw results. */
  async list(path: string, query: object = {}, opts: PageOptions = {}): Promise<unknown[]> {
    const maxItems = opts.maxItems ?? DEFAULT_MAX_ITEMS;
    const pageSize = Math.min(opts.pageSize ?? DEFAULT_PAGE_SIZE, Math.max(1, maxItems));
    const out: unknown[] = [];
    let next: string | null = this.url(path, { ...query, page_size: pageSize });
    for (let page = 0; next && out.length < maxItems; page++) {
      if (page >= MAX_PAGES) {
        this.ctx.log.warn('Vectra pagination stopped at the page cap', { path, pages: MAX_PAGES });
        break;
      }
      const body = await this.call('GET', next, undefined, page > 0);
      if (body === null) break; // a page past the end answers 404
      const env = (typeof body === 'object' && body !== null ? body : {}) as {
        results?: unknown;
        next?: unknown;
      };
      if (Array.isArray(body)) {
        out.push(...body);
        break;
      }
      const results: unknown[] = Array.isArray(env.results) ? env.results : [];
      const stop = opts.stopAt ? results.findIndex(opts.stopAt) : -1;
      if (stop >= 0) {
        out.push(...results.slice(0, stop));
        break;
      }
      out.push(...results);
      next = typeof env.next === 'string' && env.next ? env.next : null;
      if (next && new URL(next).origin !== this.transport.origin) {
        this.ctx.log.warn('Vectra pagination: next link leaves the brain origin; stopped', { path });
        next = null;
      }
    }
    return out.slice(0, maxItems);
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
