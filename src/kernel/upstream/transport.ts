/**
 * Transport to one upstream product (a Vectra brain, a firewall, an EDR API):
 * a keep-alive undici Pool per origin (module scope, reused across requests
 * of a warm Lambda), a p-limit bound per origin,
 * undici's retry interceptor driven by a deadline-aware policy (429 with
 * Retry-After, 502/503/504 with jittered backoff, writes only on 429). Failures
 * become `RelayError`s through `errors.ts`, naming the product. Every vendor
 * talks to the network through this one class.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Dispatcher } from 'undici';
import { type CacheRegistry, cachesOf, processCaches } from '../caches.js';
import type { RequestContext } from '../context.js';
import { RelayError } from '../errors.js';
import {
  type AddressPolicy,
  addressPolicy,
  hostRefusal,
  lookupFor,
  RefusedAddressError,
} from './address-policy.js';
import {
  networkError,
  retryAfterMs,
  scrubTokens,
  statusError,
  timeoutError,
  upstreamDetail,
} from './errors.js';

export interface TransportRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Absolute URL; must be on the transport's origin. */
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** Raw body (already serialised). */
  readonly body?: string;
  /** Retry 5xx and network resets too (safe for reads and token calls). Writes retry only on 429. */
  readonly idempotent: boolean;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The raw body, for binary answers (a file transfer); `text` is its UTF-8 decoding. */
  readonly bytes?: Buffer;
}

export interface RetryPolicy {
  /** Retries of 429 responses, honouring Retry-After. */
  readonly maxRateLimitRetries: number;
  /** Retries of 502/503/504 and connection resets on idempotent calls. */
  readonly maxServerRetries: number;
  /** First backoff step for 5xx (ms); doubles per try, full jitter. */
  readonly baseBackoffMs: number;
  /** Longest Retry-After we are willing to wait (ms). */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRateLimitRetries: 3,
  maxServerRetries: 2,
  baseBackoffMs: 100,
  maxRetryAfterMs: 10_000,
};

const RETRY_STATUSES = [429, 502, 503, 504];
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
/**
 * Largest answer we read (bytes); reading stops, and the request fails, past it.
 * The text is held twice for a moment (bytes, then string), and one request may
 * read several pages, so this bounds memory per request, not only per answer.
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

const tooLarge = (product: string) =>
  new RelayError(
    'unknown',
    `Unexpected response from ${product}: the answer is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB.`,
  );

/** The body, read only up to `max` bytes: past that the stream is destroyed (the socket closes). */
async function readCapped(
  product: string,
  body: Dispatcher.ResponseData['body'],
  headers: TransportResponse['headers'],
  max: number,
): Promise<Buffer> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    body.destroy();
    throw tooLarge(product);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw tooLarge(product);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Pools and concurrency limits per upstream origin. Tokens choose origins, so
 * both caches are bounded; an evicted pool is closed (after its in-flight
 * requests finish), so its sockets do not linger.
 */
export const MAX_POOLS = 32;
const poolsOf = (caches: CacheRegistry) =>
  caches.cache<string, Dispatcher>('upstream-pools', {
    maxEntries: MAX_POOLS,
    onEvict: (d) => {
      d.close().catch(() => undefined);
    },
  });
const limitsOf = (caches: CacheRegistry) =>
  caches.cache<string, LimitFunction>('upstream-limits', { maxEntries: MAX_POOLS * 2 });

/** Pools cached right now in a registry (tests). */
export const cachedPoolCount = (caches: CacheRegistry = processCaches): number => poolsOf(caches).size;

const policyKey = (p: AddressPolicy) =>
  `${p.allowed.map((c) => c.text).join(',')}|${p.allowedHosts.join(',')}`;

type Undici = typeof import('./undici.js');
let undici: Promise<Undici> | undefined;
/**
 * undici loads on the first upstream call, not at import: most answers (version, refer,
 * health of a token without upstreams) never call out, and every product's client imports
 * this module, so an eager import would be paid by each cold start (issue 16's figures).
 */
const loadUndici = (): Promise<Undici> => {
  undici ??= import('./undici.js');
  return undici;
};

async function dispatcherFor(
  caches: CacheRegistry,
  origin: string,
  timeoutMs: number,
  connections: number,
  policy: AddressPolicy,
  ca: string | undefined,
): Promise<Dispatcher> {
  // A CA bundle makes a pool of its own (hashed: PEMs are long).
  const caKey = ca ? createHash('sha256').update(ca).digest('hex') : '';
  const key = `${origin}|${timeoutMs}|${connections}|${policyKey(policy)}|${caKey}`;
  const pools = poolsOf(caches);
  const cached = pools.get(key);
  if (cached) return cached;
  const { Pool, interceptors } = await loadUndici();
  // Another call may have made it while undici loaded: never replace (and close) a pool in use.
  let d = pools.get(key);
  if (!d) {
    d = new Pool(origin, {
      connections,
      // Every connection's resolved address is checked against the deployment's policy.
      // A CA bundle from the client's settings replaces the default trust store for this origin
      // (a management interface with its own CA); verification itself is never turned off.
      connect: { timeout: timeoutMs, lookup: lookupFor(policy), ...(ca ? { ca } : {}) },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
    }).compose(interceptors.retry({ throwOnError: false, statusCodes: RETRY_STATUSES }));
    pools.set(key, d);
  }
  return d;
}

function limitFor(caches: CacheRegistry, origin: string, concurrency: number): LimitFunction {
  const key = `${origin}|${concurrency}`;
  const limits = limitsOf(caches);
  let l = limits.get(key);
  if (!l) {
    l = pLimit(concurrency);
    limits.set(key, l);
  }
  return l;
}

/** Closes every cached pool and forgets limits of a registry (CLI shutdown; default: the process's). */
export async function closeUpstreamPools(caches: CacheRegistry = processCaches): Promise<void> {
  const pools = poolsOf(caches);
  const limits = limitsOf(caches);
  const all = pools.values();
  pools.clear(); // closes each (onEvict); wait for them below
  limits.clear();
  await Promise.all(all.map((d) => d.close().catch(() => undefined)));
}

export interface TransportOptions {
  /** Product name used in every error message, e.g. `Vectra Detect`, `FortiGate`. */
  readonly product: string;
  /** The token field holding the base URL, named in connection errors, e.g. `vectra_url`. */
  readonly urlField: string;
  readonly baseUrl: string;
  /** Credentials to scrub from any upstream text turned into an error. */
  readonly secrets?: readonly string[];
  readonly policy?: RetryPolicy;
  /** PEM certificates to trust for this origin instead of the public CAs (a client's CA bundle field). */
  readonly ca?: string;
}

/** One upstream origin, one request context: sends requests inside the context's deadline. */
export class Transport {
  readonly origin: string;
  /** The origin's pool, made (and undici loaded) on the first call. */
  private readonly dispatcher: () => Promise<Dispatcher>;
  private pool: Promise<Dispatcher> | undefined;
  private readonly limit: LimitFunction;
  /** Follows the request's signal; ours, so that its listener limit fits the bound. */
  private readonly signal: AbortSignal;
  /** Set when the URL's host is refused before any connection (host allow-list, IP literal). */
  private readonly refused: boolean;

  /** Every credential this transport has carried or been told of: scrubbed from upstream text. */
  private readonly secrets = new Set<string>();

  readonly product: string;
  readonly urlField: string;
  readonly baseUrl: string;
  /** The runtime's caches (the context's), for what a product keeps across requests (tokens). */
  readonly caches: CacheRegistry;
  private readonly policy: RetryPolicy;

  constructor(
    opts: TransportOptions,
    private readonly ctx: RequestContext,
  ) {
    this.caches = cachesOf(ctx);
    this.product = opts.product;
    this.urlField = opts.urlField;
    this.baseUrl = opts.baseUrl;
    this.policy = opts.policy ?? DEFAULT_RETRY_POLICY;
    this.addSecrets(...(opts.secrets ?? []));
    const baseUrl = opts.baseUrl;
    this.origin = new URL(baseUrl).origin;
    const { upstreamTimeoutMs, upstreamConcurrency } = ctx.config;
    const policy = addressPolicy(ctx.config);
    // Node skips `lookup` for IP literals, so those (and the host allow-list) are checked here.
    this.refused = hostRefusal(new URL(baseUrl).hostname, policy) !== undefined;
    this.dispatcher = () => {
      this.pool ??= dispatcherFor(
        cachesOf(ctx),
        this.origin,
        upstreamTimeoutMs,
        upstreamConcurrency,
        policy,
        opts.ca,
      );
      return this.pool;
    };
    this.limit = limitFor(cachesOf(ctx), this.origin, upstreamConcurrency);
    this.signal = AbortSignal.any([ctx.signal]);
    // One listener per in-flight request and per retry wait, briefly overlapping as slots are reused.
    setMaxListeners(upstreamConcurrency * 4 + 16, this.signal);
  }

  /** Sends one request (with retries); resolves with any HTTP status, rejects with `RelayError`. */
  send(req: TransportRequest): Promise<TransportResponse> {
    // Same answer as an unreachable host: a token must not learn what the policy refused.
    if (this.refused)
      return Promise.reject(this.networkError(new RefusedAddressError('upstream host refused by policy')));
    if (new URL(req.url).origin !== this.origin) {
      return Promise.reject(
        new RelayError('unknown', `Refusing to leave the configured ${this.product} origin.`),
      );
    }
    return this.limit(() => this.sendNow(req));
  }

  private async sendNow(req: TransportRequest): Promise<TransportResponse> {
    if (this.ctx.signal.aborted || this.ctx.deadline - Date.now() <= 0) throw timeoutError(this.product);
    const [{ request }, dispatcher] = await Promise.all([loadUndici(), this.dispatcher()]);
    const options = {
      method: req.method,
      headers: { accept: 'application/json', ...req.headers },
      body: req.body ?? null,
      dispatcher,
      signal: this.signal,
      retryOptions: { retry: this.retryFn(req) },
    };
    try {
      const res = await request(req.url, options as Parameters<typeof request>[1]);
      const bytes = await readCapped(this.product, res.body, res.headers, MAX_BODY_BYTES);
      return { status: res.statusCode, headers: res.headers, text: new TextDecoder().decode(bytes), bytes };
    } catch (err) {
      throw this.networkError(err);
    }
  }

  /** undici retry callback: decides per failure, waits inside the deadline, aborts with the request. */
  private retryFn(req: TransportRequest) {
    const { ctx, policy, signal } = this;
    let rateLimited = 0;
    let failures = 0;
    const delayFor = (
      e: Error & { statusCode?: number; code?: string; headers?: Record<string, unknown> },
    ) => {
      if (e.statusCode === 429) {
        if (++rateLimited > policy.maxRateLimitRetries) return null;
        const delay = retryAfterMs(e.headers?.['retry-after']) ?? jitter(policy.baseBackoffMs, rateLimited);
        return delay > policy.maxRetryAfterMs ? null : delay;
      }
      const retryable =
        e.statusCode !== undefined ? RETRY_STATUSES.includes(e.statusCode) : RESET_CODES.has(e.code ?? '');
      if (!req.idempotent || !retryable || ++failures > policy.maxServerRetries) return null;
      return jitter(policy.baseBackoffMs, failures);
    };
    return (err: Error, _context: unknown, cb: (result?: Error | null) => void): void => {
      const delay = delayFor(err);
      // Leave time for the retried call itself; otherwise report the failure we have.
      if (delay === null || Date.now() + delay + 50 >= ctx.deadline || signal.aborted) {
        cb(err);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        cb(err);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        cb(null);
      }, delay);
      signal.addEventListener('abort', onAbort, { once: true });
    };
  }

  private networkError(err: unknown): RelayError {
    return networkError(this.product, this.urlField, err, this.baseUrl, this.ctx.signal.aborted, (t) =>
      this.scrub(t),
    );
  }

  /**
   * A JSON call with `Authorization: Bearer <token>` (OAuth client credentials): a 401
   * drops the token it used and the call is made once more with a fresh one. `before`
   * runs before each attempt (a product's pacer).
   */
  async sendBearer(
    req: { method: TransportRequest['method']; url: string; json?: unknown },
    tokens: { get(): Promise<string>; drop(token: string): void },
    before?: () => Promise<void>,
  ): Promise<TransportResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = await tokens.get();
      await before?.();
      const res = await this.send({
        method: req.method,
        url: req.url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(req.json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(req.json === undefined ? {} : { body: JSON.stringify(req.json) }),
        idempotent: req.method === 'GET',
      });
      if (res.status !== 401 || attempt > 0) return res;
      tokens.drop(token);
    }
  }

  /** The answer's JSON body; an answer that is not JSON is an `unknown` error naming the product. */
  json<T = unknown>(res: Pick<TransportResponse, 'text'>): T {
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new RelayError('unknown', `Unexpected response from ${this.product}: not JSON.`);
    }
  }

  /** Maps a non-2xx response to the contract's error. */
  statusError(res: TransportResponse): RelayError {
    return statusError(
      this.product,
      res.status,
      this.scrub(upstreamDetail(res.text) ?? `HTTP ${res.status}`),
    );
  }

  /**
   * Registers credentials (API token, client secret, OAuth access and refresh
   * tokens) to scrub from any upstream text this transport turns into an error.
   */
  addSecrets(...secrets: ReadonlyArray<string | undefined>): void {
    for (const s of secrets) if (s) this.secrets.add(s);
  }

  /** Removes our own secrets (whatever their length, from 8 characters) and anything token-like. */
  scrub(text: string): string {
    return scrubTokens(text, this.secrets).slice(0, 300);
  }
}

function jitter(base: number, attempt: number): number {
  const cap = base * 2 ** (attempt - 1);
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}
