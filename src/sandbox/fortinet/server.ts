/**
 * A stateful fake FortiGate REST API (FortiOS `/api/v2/cmdb`) on 127.0.0.1:
 * API-key auth, the firewall address/address6/addrgrp/addrgrp6 tables with
 * FortiOS's rules (`model.ts`), the group `member` sub-table, `vdom`,
 * `filter` and `format` parameters, and FortiOS's JSON envelopes. Faults can
 * be injected (status, FortiOS error code, latency, a hook before a call),
 * and every call is logged, so tests see exactly what the client sent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../http.js';
import { E, type Entry, FortiState, FosError, makeVdom, type Table } from './model.js';

export interface FortiCall {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly status: number;
  readonly error?: number;
  /** The key came in the `access_token` query parameter (FortiOS accepts it; our client must not use it). */
  readonly tokenInQuery: boolean;
}

export interface FakeFortiGateOptions {
  port?: number;
  latencyMs?: number;
  /** Accepted API keys (default one generated key). */
  apiKeys?: readonly string[];
  vdoms?: readonly string[];
  /** Address objects (both families) a VDOM holds at most; FortiOS's limit depends on the model. */
  maxAddresses?: number;
  /** Seed the VAR-style groups `Internal-Block` / `External-Block` (v4 and v6) with an admin member each. */
  seed?: boolean;
}

interface Injection {
  match: (method: string, path: string) => boolean;
  status: number;
  error?: number;
  cliError?: string;
  remaining: number;
}

export interface FakeFortiGate {
  readonly url: string;
  readonly apiKey: string;
  readonly state: FortiState;
  readonly calls: FortiCall[];
  /** Next `count` calls matching answer `status` (with a FortiOS `error` code when given). */
  inject(
    status: number,
    opts?: { count?: number; error?: number; cliError?: string; method?: string; pathIncludes?: string },
  ): void;
  /** Runs `fn` once, just before the next call whose method and path match. */
  beforeNext(method: string, pathIncludes: string, fn: (s: FortiState) => void): void;
  setLatency(ms: number): void;
  clearCalls(): void;
  close(): Promise<void>;
}

const TABLES = new Set<Table>(['address', 'address6', 'addrgrp', 'addrgrp6']);

export const SEED = {
  v4: { admin: 'corp-quarantine-01', ip: '192.0.2.1' },
  v6: { admin: 'corp-quarantine6-01', ip: '2001:db8:ffff::1' },
  srcGroup: 'Internal-Block',
  dstGroup: 'External-Block',
} as const;

export function seedVdom(state: FortiState, vdom: string): void {
  state.create(vdom, 'address', {
    name: SEED.v4.admin,
    subnet: `${SEED.v4.ip} 255.255.255.255`,
    comment: 'SOC',
  });
  state.create(vdom, 'address6', { name: SEED.v6.admin, ip6: `${SEED.v6.ip}/128`, comment: 'SOC' });
  for (const g of [SEED.srcGroup, SEED.dstGroup]) {
    state.create(vdom, 'addrgrp', { name: g, member: [{ name: SEED.v4.admin }] });
    state.create(vdom, 'addrgrp6', { name: g, member: [{ name: SEED.v6.admin }] });
    state.vdom(vdom).policyRefs.add(`addrgrp/${g}`).add(`addrgrp6/${g}`);
  }
}

export async function startFakeFortiGate(options: FakeFortiGateOptions = {}): Promise<FakeFortiGate> {
  const apiKeys = new Set(options.apiKeys ?? ['fgtApiKey0123456789abcdefXYZ']);
  const state = new FortiState(options.maxAddresses ?? 10_000);
  for (const v of options.vdoms ?? ['root']) {
    state.vdoms.set(v, makeVdom());
    if (options.seed !== false) seedVdom(state, v);
  }
  const calls: FortiCall[] = [];
  let injections: Injection[] = [];
  let hooks: { method: string; path: string; fn: (s: FortiState) => void }[] = [];
  let latencyMs = options.latencyMs ?? 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(u.searchParams);
    const method = req.method ?? 'GET';
    let body: unknown;
    const tokenInQuery = query.access_token !== undefined;
    const vdom = query.vdom ?? 'root';
    const segs = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const send = (status: number, payload: Record<string, unknown> | undefined, error?: number) => {
      calls.push({
        method,
        path: u.pathname,
        query,
        body,
        status,
        ...(error !== undefined ? { error } : {}),
        tokenInQuery,
      });
      const envelope = payload && {
        http_method: method,
        ...payload,
        vdom,
        path: segs[3] ?? '',
        name: segs[4] ?? '',
        status: status === 200 ? 'success' : 'error',
        http_status: status,
        ...(error !== undefined ? { error } : {}),
        serial: 'FGVMFAKE00000001',
        version: 'v7.2.8',
        build: 1639,
      };
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(envelope ? JSON.stringify(envelope) : '');
    };
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    try {
      const raw = await readBody(req, {
        maxBytes: 1_000_000,
        tooLarge: () => new FosError(413, undefined, 'too large'),
      });
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        throw new FosError(400, undefined, 'bad json');
      }
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const key = bearer ?? query.access_token;
      if (!key || !apiKeys.has(key)) {
        send(401, undefined);
        return;
      }
      const inj = injections.find((i) => i.remaining > 0 && i.match(method, u.pathname));
      if (inj) {
        inj.remaining -= 1;
        throw new FosError(inj.status, inj.error, 'injected', inj.cliError);
      }
      const hook = hooks.findIndex((h) => h.method === method && u.pathname.includes(h.path));
      if (hook >= 0) hooks.splice(hook, 1)[0]?.fn(state);
      send(200, route(state, method, segs, vdom, query, body));
    } catch (err) {
      const f = err instanceof FosError ? err : new FosError(500, undefined, 'internal');
      send(f.status, f.cliError ? { cli_error: f.cliError } : {}, f.code);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: [...apiKeys][0] as string,
    state,
    calls,
    inject: (status, o = {}) =>
      injections.push({
        match: (m, p) => (!o.method || o.method === m) && (!o.pathIncludes || p.includes(o.pathIncludes)),
        status,
        ...(o.error !== undefined ? { error: o.error } : {}),
        ...(o.cliError ? { cliError: o.cliError } : {}),
        remaining: o.count ?? 1,
      }),
    beforeNext: (method, path, fn) => hooks.push({ method, path, fn }),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    clearCalls: () => {
      calls.length = 0;
      injections = [];
      hooks = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** `/api/v2/cmdb/firewall/<table>[/<name>[/member[/<member>]]]`. */
function route(
  state: FortiState,
  method: string,
  segs: string[],
  vdom: string,
  query: Record<string, string>,
  body: unknown,
): Record<string, unknown> {
  const [api, v2, cmdb, path, table, name, child, childKey, ...rest] = segs;
  if (api !== 'api' || v2 !== 'v2' || cmdb !== 'cmdb' || path !== 'firewall' || !TABLES.has(table as Table)) {
    throw new FosError(404, undefined, 'no such path');
  }
  if (rest.length > 0 || (child !== undefined && child !== 'member'))
    throw new FosError(404, undefined, 'no such path');
  const t = table as Table;
  if (child === 'member') {
    if (!name) throw new FosError(404, undefined, 'no such path');
    if (method === 'POST' && childKey === undefined) {
      const member = (body as { name?: unknown } | undefined)?.name;
      if (typeof member !== 'string' || !member) throw new FosError(500, E.INVALID, 'member name missing');
      state.addMember(vdom, t, name, member);
      return { mkey: member };
    }
    if (method === 'DELETE' && childKey !== undefined) {
      state.removeMember(vdom, t, name, childKey);
      return { mkey: childKey };
    }
    if (method === 'GET') {
      const g = state.get(vdom, t, name);
      const members = (g.member as Entry[] | undefined) ?? [];
      return { results: childKey === undefined ? members : members.filter((m) => m.name === childKey) };
    }
    throw new FosError(405, undefined, 'method not allowed');
  }
  switch (method) {
    case 'GET': {
      const all = name === undefined ? state.list(vdom, t) : [state.get(vdom, t, name)];
      return { results: all.filter(filterOf(query.filter)).map(formatOf(query.format)) };
    }
    case 'POST': {
      if (name !== undefined) throw new FosError(405, undefined, 'method not allowed');
      const e = body as Entry;
      if (typeof e !== 'object' || e === null) throw new FosError(500, E.INVALID, 'body missing');
      state.create(vdom, t, e);
      return { mkey: e.name };
    }
    case 'PUT': {
      if (name === undefined) throw new FosError(405, undefined, 'method not allowed');
      state.update(vdom, t, name, (body ?? {}) as Record<string, unknown>);
      return { mkey: name };
    }
    case 'DELETE': {
      if (name === undefined) throw new FosError(405, undefined, 'method not allowed');
      state.delete(vdom, t, name);
      return { mkey: name };
    }
    default:
      throw new FosError(405, undefined, 'method not allowed');
  }
}

/** FortiOS filters `<field>==<value>` and `<field>=@<substring>`; anything else is refused (424). */
function filterOf(raw: string | undefined): (e: Entry) => boolean {
  if (raw === undefined) return () => true;
  const m = /^([\w-]+)(==|=@)(.*)$/.exec(raw);
  if (!m) throw new FosError(424, E.INVALID, 'invalid filter');
  const [, field, op, value] = m as unknown as [string, string, string, string];
  return (e) => {
    const v = String(e[field] ?? '');
    return op === '==' ? v === value : v.includes(value);
  };
}

/** `format=a|b|c` keeps only those fields. */
function formatOf(raw: string | undefined): (e: Entry) => Record<string, unknown> {
  if (!raw) return (e) => e;
  const keep = raw.split('|');
  return (e) => Object.fromEntries(Object.entries(e).filter(([k]) => keep.includes(k)));
}
