/**
 * A stateful fake Cisco Secure Firewall Management Center REST API on
 * 127.0.0.1: token auth (generate, refresh three times, 30-minute expiry),
 * domains, the 120-requests-per-minute limit (429), dynamic objects (name
 * rule, duplicate names refused) and their mappings (bulk add/remove, list),
 * and FMC's JSON error bodies. README.md names the source of each rule.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, isIPv4, isIPv6 } from 'node:net';
import { readBody } from '../http.js';
import { FmcFault as Fault, LegacyFmc } from './legacy.js';

export const GLOBAL_DOMAIN = 'e276abec-e0f2-11e3-8169-6d9ed49b625f';
export const LAB_DOMAIN = '7d1d7f4c-0000-4c1e-9e55-00000000a1ab';
const NAME = /^[a-zA-Z0-9_.+-]{1,128}$/;

export interface FmcObject {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly objectType: string;
  readonly mappings: Set<string>;
}

export interface FmcCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface FakeFmcOptions {
  readonly port?: number;
  readonly latencyMs?: number;
  /** Requests per window before 429 (FMC: 120 per minute). */
  readonly rateLimit?: number;
  readonly rateWindowMs?: number;
  readonly tokenTtlMs?: number;
  /** How long a deployment runs before it completes by itself (default 3 s). */
  readonly jobMs?: number;
}

export interface FakeFmc {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly calls: FmcCall[];
  objects(domain?: string): FmcObject[];
  object(name: string, domain?: string): FmcObject | undefined;
  /** An object someone else made (an admin, a CSDAC connector). */
  addForeign(name: string, mappings?: string[], opts?: { description?: string; domain?: string }): FmcObject;
  deleteObject(name: string, domain?: string): void;
  /** Host objects, network groups, devices and deployments (legacy mode). */
  readonly legacy: LegacyFmc;
  /** Completes every running deployment now. */
  settle(): void;
  /** Every issued access token expires now. */
  expireTokens(): void;
  /** A user whose role may read but not modify objects. */
  addReadOnlyUser(user: string, password: string): void;
  /** The next `count` calls answer this status with FMC's error body. */
  injectStatus(status: number, count?: number, pathPart?: string, method?: string): void;
  snapshot(): Record<string, Record<string, string[]>>;
  close(): Promise<void>;
}

const fmcError = (description: string) =>
  JSON.stringify({ error: { category: 'FRAMEWORK', messages: [{ description }], severity: 'ERROR' } });

interface Token {
  user: string;
  refresh: string;
  expiresAt: number;
  refreshes: number;
}

export async function startFakeFmc(options: FakeFmcOptions = {}): Promise<FakeFmc> {
  const username = 'vectra-api';
  const password = 'Fake-FMC-password-1!';
  const users = new Map<string, { password: string; readOnly: boolean }>([
    [username, { password, readOnly: false }],
  ]);
  const domains = [
    { name: 'Global', uuid: GLOBAL_DOMAIN },
    { name: 'Global/Lab', uuid: LAB_DOMAIN },
  ];
  const store = new Map<string, Map<string, FmcObject>>(domains.map((d) => [d.uuid, new Map()]));
  const tokens = new Map<string, Token>();
  const calls: FmcCall[] = [];
  const window: number[] = [];
  const rateLimit = options.rateLimit ?? 120;
  const rateWindowMs = options.rateWindowMs ?? 60_000;
  const ttl = options.tokenTtlMs ?? 30 * 60_000;
  const legacy = new LegacyFmc(options.jobMs ?? 3000);
  let injections: { status: number; remaining: number; pathPart?: string; method?: string }[] = [];

  const objects = (domain = GLOBAL_DOMAIN) => store.get(domain) as Map<string, FmcObject>;
  const byName = (name: string, domain = GLOBAL_DOMAIN) =>
    [...objects(domain).values()].find((o) => o.name === name);
  const view = (o: FmcObject) => ({
    id: o.id,
    name: o.name,
    type: 'DynamicObject',
    objectType: o.objectType,
    description: o.description,
    links: { self: `/object/dynamicobjects/${o.id}` },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/_state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot()));
      return;
    }
    const body = await readBody(req, {
      maxBytes: 2_048_000,
      tooLarge: () => new Fault(413, 'Payload too large.'),
    }).catch(() => undefined);
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method: req.method ?? '', path: `${path}${url.search}`, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(json === undefined ? '' : typeof json === 'string' ? json : JSON.stringify(json));
    };
    if ((options.latencyMs ?? 0) > 0) await new Promise((r) => setTimeout(r, options.latencyMs));
    try {
      if (body === undefined) throw new Fault(413, 'Payload too large.');
      // The rate limit counts every call from the client address, auth calls included.
      const now = Date.now();
      while (window.length > 0 && (window[0] as number) <= now - rateWindowMs) window.shift();
      if (window.length >= rateLimit) throw new Fault(429, 'Too Many Requests');
      window.push(now);
      const inj = injections.find(
        (i) =>
          i.remaining > 0 &&
          (!i.pathPart || path.includes(i.pathPart)) &&
          (!i.method || i.method === req.method),
      );
      if (inj) {
        inj.remaining -= 1;
        throw new Fault(inj.status, `Injected ${inj.status}`);
      }
      if (path === '/api/fmc_platform/v1/auth/generatetoken' && req.method === 'POST') {
        const [user, pass] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
          .toString()
          .split(':');
        const u = users.get(user ?? '');
        if (!u || u.password !== pass) throw new Fault(401, 'Unauthorized');
        send(204, undefined, issue(user as string));
        return;
      }
      if (path === '/api/fmc_platform/v1/auth/refreshtoken' && req.method === 'POST') {
        const access = String(req.headers['x-auth-access-token'] ?? '');
        const t = tokens.get(access);
        if (!t || t.refresh !== req.headers['x-auth-refresh-token'])
          throw new Fault(401, 'Invalid refresh token');
        if (t.refreshes >= 3) throw new Fault(401, 'Refresh token exhausted');
        tokens.delete(access);
        send(204, undefined, issue(t.user, t.refreshes + 1, t.refresh));
        return;
      }
      const token = tokens.get(String(req.headers['x-auth-access-token'] ?? ''));
      if (!token || token.expiresAt <= now) throw new Fault(401, 'Access token invalid.');
      const user = users.get(token.user);
      if (path === '/api/fmc_platform/v1/info/serverversion' && req.method === 'GET') {
        send(200, {
          items: [{ serverVersion: '7.4.1 (build 172)', type: 'ServerVersion' }],
          paging: { count: 1 },
        });
        return;
      }
      const lg =
        /^\/api\/fmc_config\/v1\/domain\/([^/]+)(\/(?:object\/(?:hosts|networkgroups)|deployment|job)(?:\/[^/]+)*)$/.exec(
          path,
        );
      if (lg && lg[1] === GLOBAL_DOMAIN) {
        const write = req.method === 'POST' || req.method === 'PUT';
        const a = legacy.handle(
          req.method ?? '',
          lg[2] as string,
          url.searchParams,
          write ? json(body) : undefined,
          !!user?.readOnly,
        );
        if (a) {
          send(a.status, a.json);
          return;
        }
      }
      const m =
        /^\/api\/fmc_config\/v1\/domain\/([^/]+)\/object\/(dynamicobjects|dynamicobjectmappings)(?:\/([^/]+))?(\/mappings)?$/.exec(
          path,
        );
      if (!m) throw new Fault(404, 'The requested resource is not found.');
      const [, domain, kind, id, mappingsPath] = m;
      const objs = store.get(domain as string);
      if (!objs) throw new Fault(404, 'Domain not found.');
      if (req.method !== 'GET' && user?.readOnly) throw new Fault(403, 'User does not have permission.');
      if (kind === 'dynamicobjects' && !id && req.method === 'GET') {
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 25), 1000);
        const all = [...objs.values()];
        const expanded = url.searchParams.get('expanded') === 'true';
        const items = all
          .slice(offset, offset + limit)
          .map((o) => (expanded ? view(o) : { id: o.id, name: o.name, type: 'DynamicObject' }));
        send(200, {
          items,
          paging: { offset, limit, count: all.length, pages: Math.ceil(all.length / limit) },
        });
        return;
      }
      if (kind === 'dynamicobjects' && !id && req.method === 'POST') {
        const b = json(body) as {
          name?: unknown;
          type?: unknown;
          objectType?: unknown;
          description?: unknown;
        };
        if (typeof b.name !== 'string' || !NAME.test(b.name)) throw new Fault(400, 'Invalid name.');
        if (b.objectType !== 'IP') throw new Fault(400, 'Invalid objectType.');
        if (
          b.description !== undefined &&
          (typeof b.description !== 'string' || b.description.length > 1024)
        ) {
          throw new Fault(400, 'Invalid description.');
        }
        if ([...objs.values()].some((o) => o.name === b.name)) {
          throw new Fault(400, `The object name ${b.name} already exists. Enter a new name.`);
        }
        const o: FmcObject = {
          id: randomUUID(),
          name: b.name,
          description: String(b.description ?? ''),
          objectType: 'IP',
          mappings: new Set(),
        };
        objs.set(o.id, o);
        send(201, view(o));
        return;
      }
      if (kind === 'dynamicobjects' && id && req.method === 'GET') {
        const o = objs.get(id) ?? [...objs.values()].find((x) => x.name === id);
        if (!o) throw new Fault(404, 'Dynamic object not found.');
        if (!mappingsPath) {
          send(200, view(o));
          return;
        }
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 25), 1000);
        const all = [...o.mappings].sort();
        send(200, {
          items: all.slice(offset, offset + limit).map((mapping) => ({ mapping })),
          paging: { offset, limit, count: all.length },
        });
        return;
      }
      if (kind === 'dynamicobjectmappings' && !id && req.method === 'POST') {
        const b = json(body) as Record<string, unknown>;
        const lists = (['add', 'remove'] as const)
          .map((k) => [k, b[k]] as const)
          .filter(([, v]) => v !== undefined);
        if (lists.length === 0) throw new Fault(400, 'Either add or remove is required.');
        // Validate everything before changing anything: one bad entry refuses the call.
        const plan: { action: 'add' | 'remove'; o: FmcObject; values: string[] }[] = [];
        for (const [action, list] of lists) {
          if (!Array.isArray(list)) throw new Fault(400, `Invalid ${action}.`);
          for (const item of list as {
            mappings?: unknown;
            dynamicObject?: { id?: unknown; name?: unknown };
          }[]) {
            const ref = item?.dynamicObject;
            const o =
              (typeof ref?.id === 'string' && objs.get(ref.id)) ||
              (typeof ref?.name === 'string' && [...objs.values()].find((x) => x.name === ref.name)) ||
              undefined;
            if (!o) throw new Fault(404, 'Dynamic object not found.');
            if (
              !Array.isArray(item.mappings) ||
              !item.mappings.every((v) => typeof v === 'string' && validMapping(v))
            ) {
              throw new Fault(400, 'Invalid mapping value.');
            }
            plan.push({ action, o, values: item.mappings as string[] });
          }
        }
        for (const p of plan)
          for (const v of p.values) p.action === 'add' ? p.o.mappings.add(v) : p.o.mappings.delete(v);
        send(201, b);
        return;
      }
      throw new Fault(405, 'Method not allowed.');
    } catch (err) {
      const f = err instanceof Fault ? err : new Fault(500, 'Internal server error.');
      send(f.status, fmcError(f.message));
    }
  };

  const issue = (user: string, refreshes = 0, refresh: string = randomUUID()): Record<string, string> => {
    const access = randomUUID();
    tokens.set(access, { user, refresh, expiresAt: Date.now() + ttl, refreshes });
    return {
      'X-auth-access-token': access,
      'X-auth-refresh-token': refresh,
      DOMAIN_UUID: GLOBAL_DOMAIN,
      DOMAINS: JSON.stringify(domains),
    };
  };

  const snapshot = () =>
    Object.fromEntries(
      domains.map((d) => [
        d.name,
        Object.fromEntries([...objects(d.uuid).values()].map((o) => [o.name, [...o.mappings].sort()])),
      ]),
    );

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    username,
    password,
    calls,
    objects: (domain) => [...objects(domain).values()],
    object: (name, domain) => byName(name, domain),
    addForeign: (name, mappings = [], opts = {}) => {
      const o: FmcObject = {
        id: randomUUID(),
        name,
        description: opts.description ?? 'Marketing laptops',
        objectType: 'IP',
        mappings: new Set(mappings),
      };
      objects(opts.domain).set(o.id, o);
      return o;
    },
    deleteObject: (name, domain) => {
      const o = byName(name, domain);
      if (o) objects(domain).delete(o.id);
    },
    expireTokens: () => {
      for (const t of tokens.values()) t.expiresAt = 0;
    },
    addReadOnlyUser: (user, pass) => users.set(user, { password: pass, readOnly: true }),
    injectStatus: (status, count = 1, pathPart, method) =>
      injections.push({
        status,
        remaining: count,
        ...(pathPart ? { pathPart } : {}),
        ...(method ? { method } : {}),
      }),
    snapshot,
    legacy,
    settle: () => legacy.settle(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        injections = [];
        legacy.close();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function validMapping(v: string): boolean {
  const [addr = '', prefix, extra] = v.split('/');
  if (extra !== undefined) return false;
  const max = isIPv4(addr) ? 32 : isIPv6(addr) ? 128 : -1;
  if (max < 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
}

function json(body: string): unknown {
  try {
    return JSON.parse(body) ?? {};
  } catch {
    throw new Fault(400, 'Malformed JSON.');
  }
}
