/**
 * A stateful fake of Microsoft Entra ID's v2.0 token endpoint and the Defender
 * for Endpoint API on 127.0.0.1: client credentials (tenant, client id,
 * secret, scope all checked), bearer tokens that expire, application roles,
 * the OData `$filter` subset the API documents, machine actions that complete
 * after `jobMs` (or `settle()`), indicators, the per-tenant rate limit (429
 * with Retry-After) and Defender's error bodies. Faults and hooks can be
 * injected; every call is logged.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../http.js';
import { DefenderFault, DefenderStore } from './model.js';
import { route } from './routes.js';

export const FAKE_TENANT = '11111111-2222-4333-8444-555555555555';
export const FAKE_CLIENT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
export const FAKE_SECRET = 'fake-defender-secret-Abc123~xyz';
export const COMMERCIAL_SCOPE = 'https://api.securitycenter.microsoft.com/.default';
export const ALL_ROLES = [
  'Machine.Read.All',
  'Machine.Isolate',
  'Machine.Scan',
  'Machine.RestrictExecution',
  'Machine.CollectForensics',
  'Ti.ReadWrite.All',
];

export interface DefenderCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly code?: string;
  /** Raw query and body, to prove credentials never travel in a URL. */
  readonly query: string;
  readonly body: string;
  readonly authorization?: string;
  readonly at: number;
}

export interface FakeDefenderOptions {
  port?: number;
  latencyMs?: number;
  jobMs?: number;
  /** Calls per minute and per hour per tenant (Defender: 100 and 1,500). */
  perMinute?: number;
  perHour?: number;
  tokenLifetimeSec?: number;
}

export interface FakeDefender {
  readonly url: string;
  readonly store: DefenderStore;
  readonly calls: DefenderCall[];
  /** Application roles granted to the fake app (default: all the relay uses). */
  roles: Set<string>;
  settle(): void;
  /** The next `count` API calls (matching `path` substring) answer `status` with `code`. */
  inject(status: number, code: string, opts?: { count?: number; path?: string; retryAfter?: number }): void;
  /** Runs `fn` once, just before the next API call whose path contains `path`. */
  beforeNext(path: string, fn: (store: DefenderStore) => void): void;
  /** Expires every issued token (the next API call answers 401). */
  expireTokens(): void;
  close(): Promise<void>;
}

interface Injection {
  status: number;
  code: string;
  path: string | undefined;
  remaining: number;
  retryAfter: number | undefined;
}

export async function startFakeDefender(options: FakeDefenderOptions = {}): Promise<FakeDefender> {
  const store = new DefenderStore(options.jobMs ?? 5_000);
  const calls: DefenderCall[] = [];
  const tokens = new Map<string, number>();
  const window: number[] = [];
  let injections: Injection[] = [];
  let hooks: { path: string; fn: (s: DefenderStore) => void }[] = [];
  const perMinute = options.perMinute ?? 100;
  const perHour = options.perHour ?? 1500;
  const lifetime = options.tokenLifetimeSec ?? 3599;
  const fake = { roles: new Set(ALL_ROLES) };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    let code: string | undefined;
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      calls.push({
        method: req.method ?? '',
        path: url.pathname,
        status,
        ...(code ? { code } : {}),
        query: url.search,
        body,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        at: Date.now(),
      });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(json === null ? '' : JSON.stringify(json));
    };
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    if (req.method === 'GET' && url.pathname === '/_state') return send(200, snapshotOf(store));

    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (tokenPath) {
      const answer = issueToken(tokenPath[1] ?? '', req, body);
      if ('error' in answer) {
        code = answer.error;
        return send(answer.status, {
          error: answer.error,
          error_description: answer.description,
          error_codes: [answer.aadsts],
        });
      }
      const token = randomBytes(48).toString('base64url');
      tokens.set(token, Date.now() + lifetime * 1000);
      return send(200, {
        token_type: 'Bearer',
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: token,
      });
    }

    const fail = (f: DefenderFault, headers: Record<string, string> = {}) => {
      code = f.code;
      send(
        f.status,
        { error: { code: f.code, message: f.message, target: randomBytes(8).toString('hex') } },
        headers,
      );
    };
    try {
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const exp = auth ? tokens.get(auth) : undefined;
      if (!exp || exp <= Date.now()) throw new DefenderFault('Unauthorized', 'Unauthorized', 401);
      const now = Date.now();
      while (window.length > 0 && (window[0] as number) <= now - 3_600_000) window.shift();
      const lastMinute = window.filter((t) => t > now - 60_000);
      if (lastMinute.length >= perMinute || window.length >= perHour) {
        const retry = Math.ceil(
          ((lastMinute.length >= perMinute
            ? (lastMinute[0] as number) + 60_000
            : (window[0] as number) + 3_600_000) -
            now) /
            1000,
        );
        return fail(new DefenderFault('TooManyRequests', 'Too many requests.', 429), {
          'retry-after': String(Math.max(1, retry)),
        });
      }
      window.push(now);
      const inj = injections.find(
        (i) => i.remaining > 0 && (i.path === undefined || url.pathname.includes(i.path)),
      );
      if (inj) {
        inj.remaining -= 1;
        return fail(
          new DefenderFault(inj.code, `Injected ${inj.code}`, inj.status),
          inj.retryAfter === undefined ? {} : { 'retry-after': String(inj.retryAfter) },
        );
      }
      const hook = hooks.findIndex((h) => url.pathname.includes(h.path));
      if (hook >= 0) hooks.splice(hook, 1)[0]?.fn(store);
      store.tick();
      const out = route(store, fake.roles, req.method ?? '', url, parseBody(body));
      send(out.status, out.json);
    } catch (err) {
      fail(err instanceof DefenderFault ? err : new DefenderFault('InternalServerError', '', 500));
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    store,
    calls,
    settle: () => store.tick(Date.now(), true),
    inject: (
      status: number,
      code: string,
      o: { count?: number; path?: string; retryAfter?: number } = {},
    ) => {
      injections.push({ status, code, path: o.path, remaining: o.count ?? 1, retryAfter: o.retryAfter });
    },
    beforeNext: (path: string, fn: (s: DefenderStore) => void) => hooks.push({ path, fn }),
    expireTokens: () => tokens.clear(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        injections = [];
        hooks = [];
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  });
}

type TokenError = { status: number; error: string; description: string; aadsts: number };

/** Microsoft Entra's client-credentials checks, with its error names and AADSTS codes. */
function issueToken(tenant: string, req: IncomingMessage, body: string): TokenError | { ok: true } {
  if (req.method !== 'POST')
    return {
      status: 405,
      error: 'invalid_request',
      description: 'AADSTS900561: The endpoint only accepts POST requests.',
      aadsts: 900561,
    };
  if (!/application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
    return {
      status: 400,
      error: 'invalid_request',
      description: 'AADSTS900144: The request body must contain the following parameter: grant_type.',
      aadsts: 900144,
    };
  }
  const p = new URLSearchParams(body);
  if (tenant !== FAKE_TENANT)
    return {
      status: 400,
      error: 'invalid_request',
      description: `AADSTS90002: Tenant '${tenant}' not found.`,
      aadsts: 90002,
    };
  if (p.get('grant_type') !== 'client_credentials')
    return {
      status: 400,
      error: 'unsupported_grant_type',
      description: 'AADSTS70003: The app requested an unsupported grant type.',
      aadsts: 70003,
    };
  if (p.get('client_id') !== FAKE_CLIENT_ID)
    return {
      status: 400,
      error: 'unauthorized_client',
      description: 'AADSTS700016: Application was not found in the directory.',
      aadsts: 700016,
    };
  if (p.get('client_secret') !== FAKE_SECRET)
    return {
      status: 401,
      error: 'invalid_client',
      description: 'AADSTS7000215: Invalid client secret provided.',
      aadsts: 7000215,
    };
  if (p.get('scope') !== COMMERCIAL_SCOPE)
    return {
      status: 400,
      error: 'invalid_scope',
      description: 'AADSTS70011: The provided value for the input parameter scope is not valid.',
      aadsts: 70011,
    };
  return { ok: true };
}

function parseBody(body: string): Record<string, unknown> {
  if (body === '') return {};
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new DefenderFault('InvalidRequestBody', 'Request body is incorrect');
}

export function snapshotOf(store: DefenderStore) {
  return {
    machines: [...store.machines.values()].map((m) => ({
      id: m.id,
      name: m.computerDnsName,
      isolated: m.isolated,
      restricted: m.restricted,
    })),
    activeActions: store.actions
      .filter((a) => a.status === 'Pending' || a.status === 'InProgress')
      .map((a) => ({ type: a.type, machineId: a.machineId })),
    indicators: [...store.indicators.values()].map((i) => ({
      value: i.indicatorValue,
      type: i.indicatorType,
      action: i.action,
    })),
  };
}
