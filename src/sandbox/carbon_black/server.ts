/**
 * A stateful fake Carbon Black Cloud API on 127.0.0.1 (node:http): the v6
 * device search, device actions and live response, behind the
 * `X-Auth-Token: <secret>/<id>` header and the org key in the path. It
 * injects failures and latency, logs calls (never the token) and shows its
 * state read-only at `GET /_state`. Sources: README.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../http.js';
import { CbState, type FakeDevice } from './model.js';
import { CbFault, deviceJson, route } from './routes.js';

export interface FakeCbOptions {
  port?: number;
  orgKey?: string;
  apiId?: string;
  apiSecret?: string;
  latencyMs?: number;
  /** How long device actions and sessions wait for the sensor's check-in (default 1500 ms). */
  jobMs?: number;
  /** Session check-in timeout in seconds (default 900, the server's). */
  checkInTimeoutS?: number;
  now?: () => number;
}

export interface CbCall {
  readonly method: string;
  /** Path below the org, e.g. `device_actions`. */
  readonly path: string;
  readonly status: number;
  readonly body?: unknown;
}

export interface FakeCarbonBlack {
  readonly url: string;
  readonly orgKey: string;
  readonly apiId: string;
  readonly apiSecret: string;
  readonly state: CbState;
  readonly calls: CbCall[];
  addDevice(d: Omit<FakeDevice, 'files' | 'processes'> & Partial<FakeDevice>): FakeDevice;
  /** The next `count` calls whose path contains `path` (or any) answer `status`. */
  inject(status: number, opts?: { path?: string; count?: number; retryAfter?: number }): void;
  setLatency(ms: number): void;
  settle(): void;
  snapshot(): unknown;
  close(): Promise<void>;
}

interface Injection {
  status: number;
  path?: string;
  remaining: number;
  retryAfter?: number;
}

const PREFIX = /^\/appservices\/v6\/orgs\/([^/]+)\/(.+)$/;

export async function startFakeCarbonBlack(o: FakeCbOptions = {}): Promise<FakeCarbonBlack> {
  const orgKey = o.orgKey ?? '7DESJ9GN';
  const apiId = o.apiId ?? 'SANDBOXID1';
  const apiSecret = o.apiSecret ?? 'SANDBOXSECRETKEY0123456789';
  const state = new CbState(o.jobMs ?? 1500, o.checkInTimeoutS ?? 900, o.now ?? Date.now);
  const calls: CbCall[] = [];
  let injections: Injection[] = [];
  let latencyMs = o.latencyMs ?? 0;

  const snapshot = () => {
    state.tick();
    return {
      devices: [...state.devices.values()].map(deviceJson),
      pendingActions: [...state.pending.values()].map((p) => ({ deviceId: p.deviceId, on: p.on })),
      sessions: [...state.sessions.values()].map((s) => ({
        id: s.id,
        deviceId: s.deviceId,
        status: s.status,
      })),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'GET' && url.pathname === '/_state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot()));
      return;
    }
    const raw = await readBody(req, { maxBytes: 1_000_000 });
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const m = PREFIX.exec(url.pathname);
    const path = m?.[2] ?? url.pathname;
    let body: unknown;
    const send = (
      status: number,
      payload?: unknown,
      bytes?: Buffer,
      headers: Record<string, string> = {},
    ) => {
      calls.push({ method: req.method ?? '', path, status, ...(body === undefined ? {} : { body }) });
      if (bytes) res.writeHead(status, { 'content-type': 'application/octet-stream', ...headers }).end(bytes);
      else if (payload === undefined) res.writeHead(status, headers).end();
      else
        res
          .writeHead(status, { 'content-type': 'application/json', ...headers })
          .end(JSON.stringify(payload));
    };
    try {
      if (raw !== '') {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new CbFault(400, 'INVALID_ARGUMENT', 'Malformed JSON');
        }
      }
      // The token is `<secret>/<id>`; an unknown or malformed one is 401 before anything else.
      if (req.headers['x-auth-token'] !== `${apiSecret}/${apiId}`)
        throw new CbFault(401, 'UNAUTHORIZED', 'Unauthorized');
      if (!m) throw new CbFault(404, 'NOT_FOUND', 'Not found');
      if (decodeURIComponent(m[1] as string) !== orgKey)
        throw new CbFault(403, 'FORBIDDEN', 'Access denied to this org');
      const inj = injections.find((i) => i.remaining > 0 && (i.path === undefined || path.includes(i.path)));
      if (inj) {
        inj.remaining -= 1;
        send(inj.status, { error_code: 'INJECTED', message: `Injected ${inj.status}` }, undefined, {
          ...(inj.retryAfter === undefined ? {} : { 'retry-after': String(inj.retryAfter) }),
        });
        return;
      }
      const answer = route(state, req.method ?? '', path.split('/').map(decodeURIComponent), body);
      send(answer.status, answer.json, answer.bytes);
    } catch (err) {
      const f = err instanceof CbFault ? err : new CbFault(500, 'INTERNAL_ERROR', 'Internal error');
      send(f.status, { error_code: f.errorCode, message: f.message });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    orgKey,
    apiId,
    apiSecret,
    state,
    calls,
    addDevice: (d) => state.addDevice(d),
    inject: (status, opts = {}) =>
      injections.push({
        status,
        remaining: opts.count ?? 1,
        ...(opts.path === undefined ? {} : { path: opts.path }),
        ...(opts.retryAfter === undefined ? {} : { retryAfter: opts.retryAfter }),
      }),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    settle: () => state.settle(),
    snapshot,
    close: () =>
      new Promise<void>((resolve, reject) => {
        injections = [];
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
