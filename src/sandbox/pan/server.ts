/**
 * A stateful fake PAN-OS XML API (a firewall, or a Panorama with firewalls
 * behind it) on 127.0.0.1: `/api/` with `type=user-id` (uid-message
 * register/unregister of IP tags) and `type=op` (`show system info`), API-key
 * auth by `X-PAN-KEY` header or `key` parameter, `target=<serial>` routing on
 * Panorama, `vsys`, per-entry answers for duplicates, a registered-IP limit,
 * and the XML API's error answers. README.md names the source of each rule.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { readBody } from '../http.js';
import {
  countLive,
  type Device,
  deviceJson,
  MAX_TAG_LENGTH,
  MAX_TIMEOUT_S,
  makeDevice,
  validIp,
} from './model.js';

export interface PanCall {
  readonly type: string;
  readonly target: string | undefined;
  /** True when the key came as a URL query parameter (our client must never do that). */
  readonly keyInUrl: boolean;
  readonly method: string;
  readonly status: number;
  readonly cmd?: string;
}

export interface FakePanOptions {
  readonly port?: number;
  readonly latencyMs?: number;
  /** Serials behind a fake Panorama; absent: the fake is a single firewall. */
  readonly panoramaSerials?: readonly string[];
  /** Registered IP-tag pairs per device (default 1,000). */
  readonly limit?: number;
  readonly apiKey?: string;
}

export interface FakePan {
  readonly url: string;
  readonly apiKey: string;
  readonly calls: PanCall[];
  /** `self` for the firewall (or Panorama itself), else by serial. */
  device(serial?: string): Device;
  /** A registration made by someone else (another tool, an admin). */
  addForeign(ip: string, tag: string, serial?: string, vsys?: string): void;
  /** Tags registered on `ip`. */
  tagsOf(ip: string, serial?: string, vsys?: string): string[];
  snapshot(): Record<string, Record<string, string[]>>;
  /** The next `count` calls (of `type`, or any) answer this XML API error code. */
  injectCode(code: string, opts?: { count?: number; type?: string; httpStatus?: number }): void;
  /** The next `count` calls answer this bare HTTP status. */
  injectHttp(status: number, count?: number): void;
  /** Adds an API key whose admin role lacks the User-ID Agent and Operational Requests permissions. */
  addRestrictedKey(key: string): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const SELF = 'self';
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  isArray: (n) => ['entry', 'member', 'register', 'unregister'].includes(n),
});
const esc = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);

class PanFault extends Error {
  constructor(
    readonly code: string | undefined,
    message: string,
    readonly httpStatus = 200,
  ) {
    super(message);
  }
}

const errorXml = (f: PanFault) =>
  f.code === '403'
    ? `<response status = 'error' code = '403'><result><msg>${esc(f.message)}</msg></result></response>`
    : `<response status="error"${f.code ? ` code="${f.code}"` : ''}><msg><line>${esc(f.message)}</line></msg></response>`;

export async function startFakePan(options: FakePanOptions = {}): Promise<FakePan> {
  const apiKey = options.apiKey ?? 'LUFRPT1fakePanKeyForTheSandbox0123456789abcdef==';
  const restricted = new Set<string>();
  const limit = options.limit ?? 1000;
  const devices = new Map<string, Device>([[SELF, makeDevice(SELF, limit)]]);
  for (const s of options.panoramaSerials ?? []) devices.set(s, makeDevice(s, limit));
  const panorama = (options.panoramaSerials ?? []).length > 0;
  const calls: PanCall[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let injections: { code: string | undefined; http: number; type?: string; remaining: number }[] = [];

  const device = (serial?: string): Device => {
    const d = devices.get(serial ?? SELF);
    if (!d) throw new Error(`no device ${serial}`);
    return d;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/_state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot()));
      return;
    }
    const body = await readBody(req);
    const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(body)
      : new URLSearchParams();
    const param = (k: string) => form.get(k) ?? url.searchParams.get(k) ?? undefined;
    const type = param('type') ?? '';
    const target = param('target');
    const headerKey = req.headers['x-pan-key'];
    const keyInUrl = url.searchParams.has('key');
    const key = typeof headerKey === 'string' ? headerKey : param('key');
    const send = (status: number, xml: string) => {
      const cmd = param('cmd');
      calls.push({ type, target, keyInUrl, method: req.method ?? '', status, ...(cmd ? { cmd } : {}) });
      res.writeHead(status, { 'content-type': 'application/xml; charset=UTF-8' }).end(xml);
    };
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    try {
      if (url.pathname !== '/api/' && url.pathname !== '/api')
        throw new PanFault(undefined, 'Not found', 404);
      if (req.method !== 'GET' && req.method !== 'POST')
        throw new PanFault(undefined, 'Method not allowed', 405);
      if (!key || (key !== apiKey && !restricted.has(key)))
        throw new PanFault('403', 'Invalid Credential', 403);
      const inj = injections.find((i) => i.remaining > 0 && (i.type === undefined || i.type === type));
      if (inj) {
        inj.remaining -= 1;
        if (inj.code === undefined) {
          send(inj.http, '');
          return;
        }
        throw new PanFault(inj.code, `Injected error ${inj.code}`, inj.http);
      }
      if (type !== 'user-id' && type !== 'op')
        throw new PanFault('400', 'Illegal value for parameter "type"');
      if (restricted.has(key)) throw new PanFault('16', 'Unauthorized request');
      const dev = route(target);
      const vsysName = param('vsys') ?? 'vsys1';
      const vsys = dev.vsys.get(vsysName);
      if (!vsys) throw new PanFault('7', `vsys ${vsysName} is not present`);
      const cmd = param('cmd');
      if (!cmd) throw new PanFault('400', 'Missing value for parameter "cmd"');
      send(200, type === 'op' ? op(cmd, dev) : userId(cmd, dev, vsys));
    } catch (err) {
      const f = err instanceof PanFault ? err : new PanFault('21', 'Internal error', 500);
      send(f.httpStatus, f.httpStatus === 404 || f.httpStatus === 405 ? '' : errorXml(f));
    }
  };

  /** Panorama passes a call with `target` on to that firewall; without one it answers itself. */
  const route = (target: string | undefined): Device => {
    if (target === undefined) return device();
    if (!panorama) throw new PanFault(undefined, 'Parameter "target" is only valid on Panorama');
    const d = devices.get(target);
    if (!d || target === SELF)
      throw new PanFault(undefined, `Device ${target} is not managed by this Panorama`);
    if (!d.connected) throw new PanFault(undefined, `Device ${target} is not connected`);
    return d;
  };

  const op = (cmd: string, dev: Device): string => {
    if (
      cmd.replace(/\s+/g, '') !== '<show><system><info></info></system></show>' &&
      cmd.replace(/\s+/g, '') !== '<show><system><info/></system></show>'
    ) {
      throw new PanFault('17', 'Invalid command');
    }
    return `<response status="success"><result><system><hostname>fake-${dev.serial}</hostname><serial>${dev.serial}</serial><sw-version>11.1.2</sw-version></system></result></response>`;
  };

  const userId = (
    cmd: string,
    dev: Device,
    vsys: Map<string, Map<string, { tag: string; expiresAt: number | undefined }>>,
  ): string => {
    let doc: Record<string, unknown>;
    try {
      doc = parser.parse(cmd, true) as Record<string, unknown>;
    } catch {
      throw new PanFault('18', 'Malformed uid-message');
    }
    const msg = doc['uid-message'] as Record<string, unknown> | undefined;
    if (
      !msg ||
      !['1.0', '2.0'].includes(String(msg.version)) ||
      msg.type !== 'update' ||
      typeof msg.payload !== 'object'
    ) {
      throw new PanFault('18', 'Malformed uid-message');
    }
    const payload = (msg.payload ?? {}) as Record<string, { entry?: Record<string, unknown>[] }[]>;
    const now = Date.now();
    const answers: { op: string; ip: string; message: string }[] = [];
    for (const opName of ['unregister', 'register'] as const) {
      for (const block of payload[opName] ?? []) {
        for (const entry of block?.entry ?? []) {
          const ip = String(entry['@_ip'] ?? '');
          const members = ((entry.tag as { member?: unknown[] } | undefined)?.member ?? []) as (
            | string
            | Record<string, string>
          )[];
          if (!validIp(ip)) {
            answers.push({ op: opName, ip, message: `Invalid IP address ${ip}` });
            continue;
          }
          for (const m of members) {
            const tag = typeof m === 'string' ? m : String(m['#text'] ?? '');
            const timeout = typeof m === 'string' ? 0 : Number(m['@_timeout'] ?? 0);
            if (!tag || tag.length > MAX_TAG_LENGTH) {
              answers.push({ op: opName, ip, message: `Invalid tag for ${ip}` });
              continue;
            }
            if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_TIMEOUT_S) {
              answers.push({ op: opName, ip, message: `Invalid timeout for ${ip}` });
              continue;
            }
            const tags = vsys.get(ip);
            if (opName === 'unregister') {
              if (!tags?.has(tag))
                answers.push({ op: opName, ip, message: `tag ${tag} does not exist, ignore unreg` });
              else tags.delete(tag);
              if (tags?.size === 0) vsys.delete(ip);
              continue;
            }
            if (tags?.has(tag)) {
              answers.push({ op: opName, ip, message: `tag ${tag} already exists, ignore` });
              continue;
            }
            if (countLive(dev, now) >= dev.limit) {
              answers.push({
                op: opName,
                ip,
                message: `Failed to register ${ip}: registered-ip limit ${dev.limit} reached`,
              });
              continue;
            }
            const t = tags ?? new Map();
            t.set(tag, { tag, expiresAt: timeout > 0 ? now + timeout * 1000 : undefined });
            vsys.set(ip, t);
          }
        }
      }
    }
    const section = (opName: string) => {
      const list = answers.filter((a) => a.op === opName);
      return list.length
        ? `<${opName}>${list.map((a) => `<entry ip="${esc(a.ip)}" message="${esc(a.message)}"/>`).join('')}</${opName}>`
        : '';
    };
    const uidResponse = `<uid-response><version>2.0</version><payload>${section('register')}${section('unregister')}</payload></uid-response>`;
    return answers.length === 0
      ? `<response status="success"><result>${uidResponse}</result></response>`
      : `<response status="error"><msg><line>${uidResponse}</line></msg></response>`;
  };

  const snapshot = () => {
    const now = Date.now();
    return Object.fromEntries([...devices].map(([s, d]) => [s, deviceJson(d, now)]));
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    calls,
    device,
    addForeign: (ip, tag, serial, vsysName = 'vsys1') => {
      const v = device(serial).vsys.get(vsysName);
      const tags = v?.get(ip) ?? new Map();
      tags.set(tag, { tag, expiresAt: undefined });
      v?.set(ip, tags);
    },
    tagsOf: (ip, serial, vsysName = 'vsys1') =>
      [...(device(serial).vsys.get(vsysName)?.get(ip)?.keys() ?? [])].sort(),
    snapshot,
    injectCode: (code, o = {}) =>
      injections.push({
        code,
        http: o.httpStatus ?? (code === '403' ? 403 : 200),
        remaining: o.count ?? 1,
        ...(o.type ? { type: o.type } : {}),
      }),
    injectHttp: (status, count = 1) => injections.push({ code: undefined, http: status, remaining: count }),
    addRestrictedKey: (k) => restricted.add(k),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        injections = [];
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
