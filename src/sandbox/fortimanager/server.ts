/**
 * A stateful fake FortiManager JSON-RPC API (`POST /jsonrpc`) on 127.0.0.1:
 * session login/logout or API key, ADOM objects and group members, the
 * workspace (lock, commit, unlock, lockinfo), policy package installs as
 * tasks that finish after `jobMs` (or `settle()`), and managed devices that
 * hold what was installed. Faults: HTTP statuses, status codes, failed
 * installs, an administrator's lock. Every call is logged.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../http.js';
import { type Adom, C, dbJson, type Entry, emptyDb, FmgState, RpcError, type Table } from './model.js';

export interface FmgCall {
  readonly method: string;
  readonly url: string;
  readonly code: number;
  readonly auth: 'key' | 'session' | 'none';
  readonly tokenInQuery: boolean;
  readonly data: unknown;
}

export interface FakeFortiManagerOptions {
  port?: number;
  latencyMs?: number;
  /** How long an install task runs before it finishes by itself (default 2000 ms). */
  jobMs?: number;
  /** The seeded ADOM `root` uses workspace mode. */
  workspace?: boolean;
  apiKey?: string;
  user?: string;
  password?: string;
}

export interface FakeFortiManager {
  readonly url: string;
  readonly apiKey: string;
  readonly user: string;
  readonly password: string;
  readonly state: FmgState;
  readonly calls: FmgCall[];
  /** Session ids currently logged in. */
  readonly sessions: Set<string>;
  /** An administrator locks the ADOM in their own workspace session. */
  lockAdom(adom: string, user: string): void;
  /** The next install fails (on `device`, or whatever it targets). */
  failNextInstall(device?: string): void;
  /** Runs `fn` once, just before the next call to exactly `url` is processed (stages races). */
  beforeNext(url: string, fn: () => void): void;
  /** Next `count` requests answer HTTP `status`. */
  injectStatus(status: number, count?: number): void;
  /** Next `count` calls whose url contains `urlIncludes` answer status code `code`. */
  injectCode(code: number, urlIncludes: string, count?: number): void;
  settle(): void;
  setLatency(ms: number): void;
  clearCalls(): void;
  close(): Promise<void>;
}

export const SEED = {
  adom: 'root',
  pkg: 'vectra_policy',
  device: 'FGT-BRANCH-01',
  srcGroup: 'Internal-Block',
  dstGroup: 'External-Block',
  v4: { admin: 'corp-quarantine-01', ip: '192.0.2.1' },
  v6: { admin: 'corp-quarantine6-01', ip: '2001:db8:ffff::1' },
} as const;

function seed(state: FmgState, workspace: boolean): void {
  const db = emptyDb();
  state.create(db, 'address', {
    name: SEED.v4.admin,
    subnet: [SEED.v4.ip, '255.255.255.255'],
    comment: 'SOC',
  });
  state.create(db, 'address6', { name: SEED.v6.admin, ip6: `${SEED.v6.ip}/128`, comment: 'SOC' });
  for (const g of [SEED.srcGroup, SEED.dstGroup]) {
    state.create(db, 'addrgrp', { name: g, member: [SEED.v4.admin] });
    state.create(db, 'addrgrp6', { name: g, member: [SEED.v6.admin] });
  }
  const adom: Adom = {
    name: SEED.adom,
    workspace,
    db,
    packages: new Map([[SEED.pkg, { scope: [{ name: SEED.device, vdom: 'root' }] }]]),
  };
  state.adoms.set(SEED.adom, adom);
  state.devices.set(SEED.device, new Map([['root', emptyDb()]]));
}

const TABLES = new Set<Table>(['address', 'address6', 'addrgrp', 'addrgrp6']);

export async function startFakeFortiManager(
  options: FakeFortiManagerOptions = {},
): Promise<FakeFortiManager> {
  const apiKey = options.apiKey ?? 'fmgApiKey0123456789abcdefXYZ';
  const user = options.user ?? 'vectra-api';
  const password = options.password ?? 'fmg-Passw0rd!';
  const state = new FmgState(options.jobMs ?? 2000);
  seed(state, options.workspace ?? false);
  const calls: FmgCall[] = [];
  const sessions = new Set<string>();
  let statusInjections: { status: number; remaining: number }[] = [];
  let codeInjections: { code: number; url: string; remaining: number }[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let hooks: { url: string; fn: () => void }[] = [];

  const rpc = (
    method: string,
    p: Record<string, unknown>,
    owner: string | undefined,
  ): { data?: unknown; session?: string } => {
    const url = String(p.url ?? '').replace(/\/+$/, '');
    if (url === '/sys/login/user' || url === 'sys/login/user') {
      const d = (Array.isArray(p.data) ? p.data[0] : p.data) as
        | { user?: unknown; passwd?: unknown }
        | undefined;
      if (method !== 'exec' || d?.user !== user || d?.passwd !== password)
        throw new RpcError(C.LOGIN_FAILED, 'Login fail');
      const session = randomBytes(48).toString('base64');
      sessions.add(session);
      return { session };
    }
    if (!owner) throw new RpcError(C.NO_PERMISSION, 'No permission for the resource');
    if (url === '/sys/logout') {
      sessions.delete(owner);
      return {};
    }
    const hook = hooks.findIndex((h) => h.url === url);
    if (hook >= 0) hooks.splice(hook, 1)[0]?.fn();
    const inj = codeInjections.find((i) => i.remaining > 0 && url.includes(i.url));
    if (inj) {
      inj.remaining -= 1;
      throw new RpcError(inj.code, 'injected');
    }
    let m = /^\/dvmdb\/adom\/([^/]+)\/workspace\/(lock|unlock|commit|lockinfo)$/.exec(url);
    if (m) return workspace(state.adom(m[1] as string), m[2] as string, method, owner);
    m = /^\/pm\/config\/adom\/([^/]+)\/obj\/firewall\/([^/]+)(?:\/([^/]+)(?:\/(member))?)?$/.exec(url);
    if (m && TABLES.has(m[2] as Table))
      return objects(state.adom(m[1] as string), m[2] as Table, m[3], m[4], method, p, owner);
    if (url === '/securityconsole/install/package' && method === 'exec') {
      const d = p.data as { adom?: unknown; pkg?: unknown; scope?: unknown } | undefined;
      const a = state.adom(String(d?.adom ?? ''));
      const scope = Array.isArray(d?.scope) ? (d.scope as { name: string; vdom: string }[]) : undefined;
      return { data: { task: state.install(a, String(d?.pkg ?? ''), scope) } };
    }
    m = /^\/task\/task\/(\d+)$/.exec(url);
    if (m && method === 'get') {
      const t = state.tasks.get(Number(m[1]));
      if (!t) throw new RpcError(C.NOT_FOUND, 'Object does not exist');
      state.advance(t);
      const err = t.finished && t.fail ? 1 : 0;
      return {
        data: {
          id: t.id,
          title: 'Install Package',
          percent: t.finished ? 100 : 40,
          num_lines: t.targets.length,
          num_done: t.finished ? t.targets.length - err : 0,
          num_err: err,
          state: t.finished ? (err ? 'error' : 'done') : 'running',
          line: t.targets.map((x, i) => ({
            name: x.name,
            vdom: x.vdom,
            err: i === 0 ? err : 0,
            state: t.finished ? (i === 0 && err ? 'error' : 'done') : 'running',
            detail: t.finished
              ? i === 0 && err
                ? 'install failed: device unreachable'
                : 'install and save finished status=OK'
              : 'installing',
          })),
        },
      };
    }
    throw new RpcError(C.INVALID_URL, 'Invalid url');
  };

  const workspace = (a: Adom, action: string, method: string, owner: string) => {
    if (!a.workspace) throw new RpcError(C.NO_WORKSPACE, 'Workspace mode is not enabled');
    if (action === 'lockinfo') {
      if (method !== 'get') throw new RpcError(C.INVALID_URL, 'Invalid url');
      return a.lock
        ? {
            data: [
              { lock_user: a.lock.user, lock_sid: a.lock.owner.length, lock_time: a.lock.time, type: 1 },
            ],
          }
        : {};
    }
    if (method !== 'exec') throw new RpcError(C.INVALID_URL, 'Invalid url');
    if (action === 'lock') {
      if (a.lock && a.lock.owner !== owner) throw new RpcError(C.LOCKED, 'Workspace is locked by other user');
      a.lock ??= {
        owner,
        user: owner.startsWith('key:') ? 'vectra-api-key' : user,
        time: Math.floor(Date.now() / 1000),
        draft: cloneOf(a),
      };
      return {};
    }
    if (a.lock?.owner !== owner) throw new RpcError(C.LOCKED, 'Workspace is locked by other user');
    if (action === 'commit') a.db = cloneOf(a, a.lock.draft);
    else a.lock = undefined;
    return {};
  };

  const objects = (
    a: Adom,
    table: Table,
    name: string | undefined,
    member: string | undefined,
    method: string,
    p: Record<string, unknown>,
    owner: string,
  ) => {
    if (method === 'get') {
      const db = state.view(a, owner);
      if (name !== undefined) {
        const e = db[table].get(name);
        if (!e) throw new RpcError(C.NOT_FOUND, 'Object does not exist');
        return { data: pick(e, p.fields) };
      }
      return { data: [...db[table].values()].filter(filterOf(p.filter)).map((e) => pick(e, p.fields)) };
    }
    const db = state.writable(a, owner);
    if (member !== undefined && name !== undefined) {
      const names = (Array.isArray(p.data) ? p.data : [p.data]).map(String);
      if (method === 'add') state.addMembers(db, table, name, names);
      else if (method === 'delete') state.removeMembers(db, table, name, names);
      else throw new RpcError(C.INVALID_URL, 'Invalid url');
      return {};
    }
    if (method === 'add' && name === undefined) {
      for (const e of Array.isArray(p.data) ? p.data : [p.data]) state.create(db, table, e as Entry);
      return { data: { name: (p.data as Entry)?.name } };
    }
    if (method === 'delete' && name !== undefined) {
      state.delete(db, table, name);
      return {};
    }
    if ((method === 'set' || method === 'update') && name !== undefined) {
      const cur = db[table].get(name);
      if (!cur) throw new RpcError(C.NOT_FOUND, 'Object does not exist');
      db[table].delete(name);
      try {
        state.create(db, table, { ...cur, ...(p.data as object), name });
      } catch (err) {
        db[table].set(name, cur);
        throw err;
      }
      return { data: { name } };
    }
    throw new RpcError(C.INVALID_URL, 'Invalid url');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const reply = (status: number, body?: unknown): void => {
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(body === undefined ? '' : JSON.stringify(body));
    };
    const si = statusInjections.find((i) => i.remaining > 0);
    if (si) {
      si.remaining -= 1;
      reply(si.status);
      return;
    }
    if (req.method !== 'POST' || u.pathname !== '/jsonrpc') return reply(404);
    let body: { id?: unknown; method?: unknown; params?: unknown; session?: unknown };
    try {
      body = JSON.parse(raw);
    } catch {
      return reply(400);
    }
    const tokenInQuery = u.searchParams.has('access_token');
    const bearer =
      /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ??
      u.searchParams.get('access_token') ??
      undefined;
    if (bearer !== undefined && bearer !== apiKey) return reply(401);
    const session = typeof body.session === 'string' && sessions.has(body.session) ? body.session : undefined;
    const owner = bearer !== undefined ? `key:${bearer.slice(0, 4)}` : session;
    const auth = bearer !== undefined ? 'key' : session ? 'session' : 'none';
    const method = String(body.method ?? '');
    const params = Array.isArray(body.params) ? (body.params as Record<string, unknown>[]) : [];
    let newSession: string | undefined;
    const result = params.map((p) => {
      const url = String(p?.url ?? '');
      try {
        const r = rpc(method, p, owner);
        if (r.session) newSession = r.session;
        calls.push({ method, url, code: 0, auth, tokenInQuery, data: p.data });
        return { status: { code: 0, message: 'OK' }, url, ...(r.data !== undefined ? { data: r.data } : {}) };
      } catch (err) {
        const e = err instanceof RpcError ? err : new RpcError(-1, 'Internal error');
        calls.push({ method, url, code: e.code, auth, tokenInQuery, data: p.data });
        return { status: { code: e.code, message: e.message }, url };
      }
    });
    reply(200, { id: body.id, result, ...(newSession ? { session: newSession } : {}) });
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    user,
    password,
    state,
    calls,
    sessions,
    lockAdom: (adom, admin) => {
      const a = state.adom(adom);
      a.lock = { owner: `gui:${admin}`, user: admin, time: Math.floor(Date.now() / 1000), draft: cloneOf(a) };
    },
    failNextInstall: (device) => {
      state.installFailures.push(device);
    },
    beforeNext: (url, fn) => hooks.push({ url, fn }),
    injectStatus: (status, count = 1) => statusInjections.push({ status, remaining: count }),
    injectCode: (code, url, count = 1) => codeInjections.push({ code, url, remaining: count }),
    settle: () => state.settle(),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    clearCalls: () => {
      calls.length = 0;
      statusInjections = [];
      codeInjections = [];
      hooks = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function cloneOf(a: Adom, from = a.db) {
  return Object.fromEntries(
    (Object.keys(from) as Table[]).map((t) => [
      t,
      new Map([...from[t]].map(([k, v]) => [k, structuredClone(v)])),
    ]),
  ) as Adom['db'];
}

/** `fields: [...]` keeps those attributes (and the name). */
function pick(e: Entry, fields: unknown): Entry {
  if (!Array.isArray(fields)) return structuredClone(e);
  return Object.fromEntries(Object.entries(e).filter(([k]) => k === 'name' || fields.includes(k))) as Entry;
}

/** `[attr, '==', value]` and `[attr, 'like', 'pat%']` (SQL-like `%`); anything else is invalid. */
function filterOf(raw: unknown): (e: Entry) => boolean {
  if (raw === undefined) return () => true;
  if (!Array.isArray(raw) || raw.length !== 3)
    throw new RpcError(C.INVALID_DATA, 'The data is invalid for selected url');
  const [attr, op, value] = raw.map(String) as [string, string, string];
  if (op === '==') return (e) => String(e[attr] ?? '') === value;
  if (op === 'like') {
    const re = new RegExp(
      `^${value
        .split('%')
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return (e) => re.test(String(e[attr] ?? ''));
  }
  throw new RpcError(C.INVALID_DATA, 'The data is invalid for selected url');
}

export const snapshotOf = (state: FmgState): unknown => ({
  adoms: Object.fromEntries(
    [...state.adoms].map(([n, a]) => [n, { db: dbJson(a.db), locked: a.lock?.user ?? null }]),
  ),
  devices: Object.fromEntries(
    [...state.devices].map(([d, vdoms]) => [
      d,
      Object.fromEntries([...vdoms].map(([v, db]) => [v, dbJson(db)])),
    ]),
  ),
});
