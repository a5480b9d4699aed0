/**
 * A stateful fake of the CrowdStrike Falcon Hosts API on 127.0.0.1: OAuth2
 * client credentials (`POST /oauth2/token`, 201), expiring bearer tokens, API
 * client scopes, device search by FQL, device details, host actions with
 * asynchronous containment, device tags, Falcon's `{meta, resources, errors}`
 * envelope and its 429 with `X-Ratelimit-Retryafter`. Faults and hooks can be
 * injected; every call is logged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../http.js';
import { type FakeDevice, FalconFault, FalconStore, parseFql } from './model.js';

export const FAKE_FALCON_CLIENT_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const FAKE_FALCON_SECRET = 'FakeFalconSecret0123456789abcdefGHIJKLmn';

export interface FalconCall {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly body: string;
  readonly status: number;
  readonly at: number;
}

export interface FakeFalconOptions {
  port?: number;
  latencyMs?: number;
  jobMs?: number;
  /** Requests per minute per CID (Falcon: 6,000). */
  perMinute?: number;
}

export interface FakeFalcon {
  readonly url: string;
  readonly store: FalconStore;
  readonly calls: FalconCall[];
  /** Scopes of the fake API client: `hosts:read`, `hosts:write`. */
  scopes: Set<string>;
  settle(): void;
  inject(status: number, opts?: { count?: number; path?: string }): void;
  beforeNext(path: string, fn: (store: FalconStore) => void): void;
  expireTokens(): void;
  close(): Promise<void>;
}

const meta = () => ({ query_time: 0.01, powered_by: 'fake-falcon', trace_id: randomUUID() });

export async function startFakeFalcon(options: FakeFalconOptions = {}): Promise<FakeFalcon> {
  const store = new FalconStore(options.jobMs ?? 5_000);
  const calls: FalconCall[] = [];
  const tokens = new Map<string, number>();
  const window: number[] = [];
  let injections: { status: number; path: string | undefined; remaining: number }[] = [];
  let hooks: { path: string; fn: (s: FalconStore) => void }[] = [];
  const fake = { scopes: new Set(['hosts:read', 'hosts:write']) };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      calls.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.search,
        body,
        status,
        at: Date.now(),
      });
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(json));
    };
    const fail = (f: FalconFault, headers: Record<string, string> = {}) =>
      send(
        f.status,
        { meta: meta(), resources: [], errors: [{ code: f.status, message: f.message }] },
        headers,
      );
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    try {
      if (req.method === 'GET' && url.pathname === '/_state') return send(200, [...store.devices.values()]);
      if (url.pathname === '/oauth2/token') {
        if (req.method !== 'POST') throw new FalconFault(405, 'Method Not Allowed');
        const p = new URLSearchParams(body);
        if (!p.get('client_id') || !p.get('client_secret'))
          throw new FalconFault(400, 'client_id and client_secret are required');
        if (p.get('client_id') !== FAKE_FALCON_CLIENT_ID || p.get('client_secret') !== FAKE_FALCON_SECRET) {
          throw new FalconFault(403, 'access denied, invalid client credentials');
        }
        const token = randomBytes(40).toString('base64url');
        tokens.set(token, Date.now() + 1799_000);
        return send(201, { access_token: token, token_type: 'bearer', expires_in: 1799 });
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const exp = bearer ? tokens.get(bearer) : undefined;
      if (!exp || exp <= Date.now()) throw new FalconFault(401, 'access denied, invalid bearer token');
      const now = Date.now();
      while (window.length > 0 && (window[0] as number) <= now - 60_000) window.shift();
      if (window.length >= (options.perMinute ?? 6000)) {
        return fail(new FalconFault(429, 'API rate limit exceeded.'), {
          'x-ratelimit-limit': String(options.perMinute ?? 6000),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-retryafter': String(Math.ceil(((window[0] as number) + 60_000) / 1000)),
        });
      }
      window.push(now);
      const inj = injections.find(
        (i) => i.remaining > 0 && (i.path === undefined || url.pathname.includes(i.path)),
      );
      if (inj) {
        inj.remaining -= 1;
        throw new FalconFault(inj.status, `Injected ${inj.status}`);
      }
      const hook = hooks.findIndex((h) => url.pathname.includes(h.path));
      if (hook >= 0) hooks.splice(hook, 1)[0]?.fn(store);
      store.tick();
      const out = route(store, fake.scopes, req.method ?? '', url, body);
      send(out.status, { meta: meta(), resources: out.resources, errors: [] });
    } catch (err) {
      fail(err instanceof FalconFault ? err : new FalconFault(500, 'Internal Server Error'));
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
    inject: (status: number, o: { count?: number; path?: string } = {}) => {
      injections.push({ status, path: o.path, remaining: o.count ?? 1 });
    },
    beforeNext: (path: string, fn: (s: FalconStore) => void) => hooks.push({ path, fn }),
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

const needs = (scopes: Set<string>, scope: string) => {
  if (!scopes.has(scope)) throw new FalconFault(403, 'access denied, authorization failed');
};

function json(body: string): Record<string, unknown> {
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new FalconFault(400, 'Invalid JSON body');
}

function route(
  store: FalconStore,
  scopes: Set<string>,
  method: string,
  url: URL,
  body: string,
): { status: number; resources: unknown[] } {
  const path = url.pathname;
  if (method === 'GET' && path === '/devices/queries/devices/v1') {
    needs(scopes, 'hosts:read');
    const limit = Number(url.searchParams.get('limit') ?? '100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000)
      throw new FalconFault(400, 'limit must be 1-5000');
    const raw = url.searchParams.get('filter');
    const f = raw === null ? () => true : parseFql(raw);
    return {
      status: 200,
      resources: [...store.devices.values()]
        .filter(f)
        .map((d) => d.device_id)
        .slice(0, limit),
    };
  }
  if (method === 'GET' && path === '/devices/entities/devices/v2') {
    needs(scopes, 'hosts:read');
    const ids = url.searchParams.getAll('ids');
    if (ids.length === 0) throw new FalconFault(400, 'ids is required');
    const found = ids.map((id) => store.devices.get(id)).filter((d): d is FakeDevice => d !== undefined);
    if (found.length === 0) throw new FalconFault(404, 'No devices found');
    return { status: 200, resources: found.map(({ online: _o, dueAt: _d, ...d }) => d) };
  }
  if (method === 'POST' && path === '/devices/entities/devices-actions/v2') {
    needs(scopes, 'hosts:write');
    const ids = store.act(url.searchParams.get('action_name') ?? '', json(body).ids);
    return { status: 202, resources: ids.map((id) => ({ id, path: '' })) };
  }
  if (method === 'PATCH' && path === '/devices/entities/devices/tags/v1') {
    needs(scopes, 'hosts:write');
    return { status: 202, resources: store.tag(json(body)) };
  }
  throw new FalconFault(404, 'Not Found');
}
