/**
 * A stateful fake Vectra brain on loopback (node:http), serving both the
 * on-prem `/api/v2.5` (Token auth, or Bearer from `/api/v2.5/oauth2/token`)
 * and the platform `/api/v3.4` (Bearer from `/oauth2/token`, with
 * `expires_in`, refresh tokens and counters). Tests and `npm start` drive the
 * real client against it. It injects failures and latency, records requests
 * (never token values) and shows its state read-only at `GET /_state`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleApi } from './routes.js';
import {
  type AccountSeed,
  BrainState,
  type DetectionSeed,
  type GroupSeed,
  type HostSeed,
  type SeededObject,
} from './store.js';

export interface FakeBrainOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The v2.5 API token accepted as `Authorization: Token <apiToken>`. */
  apiToken?: string;
  /** OAuth clients (`client_id → secret`) for both flavours. */
  clients?: Record<string, string>;
  /** Access-token lifetime in seconds (default 3600). */
  tokenTtlSeconds?: number;
  /** Refresh-token lifetime in seconds (default 86400). */
  refreshTtlSeconds?: number;
  /** Random bytes per issued access/refresh token, hex-encoded (default 24). */
  tokenBytes?: number;
  /**
   * The origin the brain writes into links (`next`, `url`), e.g. its FQDN when
   * reached by IP or through a proxy. Default: the request's `Host`.
   */
  advertisedOrigin?: string;
}

/** What an injected failure may echo back (the way a careless brain quotes a request). */
export interface InjectedRequest {
  readonly method: string;
  readonly path: string;
  /** The raw `Authorization` header. */
  readonly authorization: string | undefined;
  /** The raw request body. */
  readonly body: string;
}

export interface InjectedFailure {
  /** Substring of, or pattern for, the request path (e.g. `/hosts`, `/oauth2/token`). */
  path: string | RegExp;
  method?: string;
  status: number;
  /** How many matching calls fail (default 1). */
  times?: number;
  /** `Retry-After` header value in seconds. */
  retryAfter?: number;
  /** The answer's JSON body, or a function of the request building it. */
  body?: unknown | ((req: InjectedRequest) => unknown);
}

export type AuthKind = 'token' | 'bearer' | 'basic' | 'none';

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  auth: AuthKind;
  status: number;
  injected: boolean;
}

export interface TokenCounters {
  clientCredentials: number;
  refresh: number;
  total: number;
}

export interface FakeBrain {
  readonly url: string;
  readonly state: BrainState;
  readonly requests: LoggedRequest[];
  readonly tokenRequests: TokenCounters;
  readonly apiToken: string;
  readonly clients: Readonly<Record<string, string>>;
  inject(failure: InjectedFailure): void;
  setLatency(ms: number): void;
  /** Runs after each request is handled and before its answer is sent; returns an unsubscribe. */
  hook(fn: (req: LoggedRequest) => void): () => void;
  /** Forgets every issued access token (they answer 401 from now on). */
  revokeTokens(): void;
  addHost(seed: HostSeed): SeededObject;
  addAccount(seed: AccountSeed): SeededObject;
  addDetection(seed: DetectionSeed): SeededObject;
  addGroup(seed: GroupSeed): SeededObject;
  close(): Promise<void>;
}

interface Issued {
  flavour: 'v2.5' | 'v3';
  expiresAt: number;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
};

/** RFC 6749 §5.2 error body, the form an OAuth token endpoint answers failures in (README.md). */
const oauthError = (status: number, error: string, description: string) => ({
  status,
  body: { error, error_description: description },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The UI pages the relay links to (refer, sightings): the sandbox shows the object as JSON. */
const uiPage = /^\/(hosts|accounts|detections)\/\d+\/?$|^\/search\//;

function uiView(state: BrainState, url: URL): { status: number; body: unknown } {
  const m = /^\/(hosts|accounts|detections)\/(\d+)/.exec(url.pathname);
  const note = 'Sandbox: a real brain shows its UI page here; this is the object behind it.';
  if (!m) return { status: 200, body: { sandbox: note, search: Object.fromEntries(url.searchParams) } };
  const kind = m[1] as 'hosts' | 'accounts' | 'detections';
  const object = state[kind].get(Number(m[2]));
  return object
    ? { status: 200, body: { sandbox: note, [kind.slice(0, -1)]: object } }
    : { status: 404, body: { detail: 'Not found.' } };
}

export async function startFakeBrain(options: FakeBrainOptions = {}): Promise<FakeBrain> {
  const state = new BrainState();
  const requests: LoggedRequest[] = [];
  const tokenRequests: TokenCounters = { clientCredentials: 0, refresh: 0, total: 0 };
  const apiToken = options.apiToken ?? `fake-api-token-${randomBytes(8).toString('hex')}`;
  const clients = options.clients ?? { 'relay-client': 'relay-secret' };
  const ttl = options.tokenTtlSeconds ?? 3600;
  const refreshTtl = options.refreshTtlSeconds ?? 86_400;
  const tokenBytes = options.tokenBytes ?? 24;
  const access = new Map<string, Issued>();
  const refresh = new Map<string, { clientId: string; expiresAt: number }>();
  const failures: Array<InjectedFailure & { left: number }> = [];
  const hooks = new Set<(req: LoggedRequest) => void>();
  let latency = 0;

  const authKind = (h: string | undefined): AuthKind => {
    const scheme = h?.split(' ')[0]?.toLowerCase();
    return scheme === 'token' || scheme === 'bearer' || scheme === 'basic' ? scheme : 'none';
  };

  function tokenEndpoint(flavour: 'v2.5' | 'v3', req: IncomingMessage, body: string) {
    tokenRequests.total++;
    const form = new URLSearchParams(body);
    const grant = form.get('grant_type');
    if (grant === 'refresh_token' && flavour === 'v3') {
      tokenRequests.refresh++;
      const rt = refresh.get(form.get('refresh_token') ?? '');
      if (!rt || rt.expiresAt < Date.now()) return oauthError(400, 'invalid_grant', 'Invalid refresh token.');
      return { status: 200, body: issue(flavour) };
    }
    if (grant !== 'client_credentials')
      return oauthError(400, 'unsupported_grant_type', `Grant type "${grant ?? ''}" is not supported.`);
    tokenRequests.clientCredentials++;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = Buffer.from(basic ?? '', 'base64')
      .toString()
      .split(/:(.*)/s);
    if (!id || clients[id] === undefined || clients[id] !== secret) {
      return oauthError(401, 'invalid_client', 'Invalid client credentials.');
    }
    return { status: 200, body: issue(flavour, id) };
  }

  function issue(flavour: 'v2.5' | 'v3', clientId = 'refreshed'): Record<string, unknown> {
    const token = randomBytes(tokenBytes).toString('hex');
    access.set(token, { flavour, expiresAt: Date.now() + ttl * 1000 });
    const out: Record<string, unknown> = { access_token: token, expires_in: ttl, token_type: 'Bearer' };
    if (flavour === 'v3') {
      const rt = randomBytes(tokenBytes).toString('hex');
      refresh.set(rt, { clientId, expiresAt: Date.now() + refreshTtl * 1000 });
      Object.assign(out, { refresh_token: rt, refresh_expires_in: refreshTtl });
    }
    return out;
  }

  function authorised(flavour: 'v2.5' | 'v3', header: string | undefined): boolean {
    const [scheme, value = ''] = (header ?? '').split(' ');
    if (flavour === 'v2.5' && scheme?.toLowerCase() === 'token') return value === apiToken;
    if (scheme?.toLowerCase() !== 'bearer') return false;
    const t = access.get(value);
    return !!t && t.flavour === flavour && t.expiresAt > Date.now();
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const origin = options.advertisedOrigin ?? `http://${req.headers.host ?? `127.0.0.1`}`;
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    const entry: LoggedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      auth: authKind(req.headers.authorization),
      status: 0,
      injected: false,
    };
    requests.push(entry);
    if (latency > 0) await sleep(latency);

    let out: { status: number; body: unknown; headers?: Record<string, string> };
    const failure = failures.find(
      (f) =>
        f.left > 0 &&
        (!f.method || f.method === method) &&
        (typeof f.path === 'string' ? url.pathname.includes(f.path) : f.path.test(url.pathname)),
    );
    const version = /^\/api\/(v2\.5|v3(?:\.\d+)?)(\/.*)?$/.exec(url.pathname);
    if (failure) {
      failure.left--;
      entry.injected = true;
      out = {
        status: failure.status,
        body:
          typeof failure.body === 'function'
            ? failure.body({ method, path: url.pathname, authorization: req.headers.authorization, body })
            : (failure.body ?? { detail: `Injected failure ${failure.status}` }),
        ...(failure.retryAfter === undefined
          ? {}
          : { headers: { 'retry-after': String(failure.retryAfter) } }),
      };
    } else if (method === 'GET' && url.pathname === '/_state') {
      out = { status: 200, body: { ...state.snapshot(), token_requests: { ...tokenRequests } } };
    } else if (method === 'POST' && url.pathname === '/oauth2/token') {
      out = tokenEndpoint('v3', req, body);
    } else if (method === 'POST' && url.pathname === '/api/v2.5/oauth2/token') {
      out = tokenEndpoint('v2.5', req, body);
    } else if (version) {
      const flavour = version[1] === 'v2.5' ? 'v2.5' : 'v3';
      if (!authorised(flavour, req.headers.authorization)) {
        out = { status: 401, body: { detail: 'Invalid token.' } };
      } else {
        let parsed: unknown = null;
        try {
          parsed = body ? JSON.parse(body) : null;
        } catch {
          parsed = undefined;
        }
        out =
          parsed === undefined
            ? { status: 400, body: { detail: 'JSON parse error' } }
            : handleApi(state, {
                flavour,
                method,
                path: (version[2] ?? '').replace(/^\/+|\/+$/g, ''),
                params: url.searchParams,
                body: parsed,
                origin,
                apiBase: `/api/${version[1]}`,
                release: version[1] ?? 'v3',
                url,
              });
      }
    } else if (method === 'GET' && uiPage.test(url.pathname)) {
      out = uiView(state, url);
    } else {
      out = { status: 404, body: { detail: 'Not found.' } };
    }
    entry.status = out.status;
    for (const h of hooks) h(entry);
    json(res, out.status, out.body, out.headers);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        json(res, 500, { detail: `Fake brain error: ${err instanceof Error ? err.message : String(err)}` });
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    state,
    requests,
    tokenRequests,
    apiToken,
    clients,
    inject: (f) => failures.push({ ...f, left: f.times ?? 1 }),
    setLatency: (ms) => {
      latency = Math.max(0, ms);
    },
    hook: (fn) => {
      hooks.add(fn);
      return () => hooks.delete(fn);
    },
    revokeTokens: () => access.clear(),
    addHost: (s) => state.addHost(s),
    addAccount: (s) => state.addAccount(s),
    addDetection: (s) => state.addDetection(s),
    addGroup: (s) => state.addGroup(s),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
