/**
 * A stateful fake EC2 endpoint (plus STS AssumeRole) on 127.0.0.1 that speaks
 * the real Query protocol, so tests and the sandbox run the unmodified
 * `@aws-sdk/client-ec2` — serializer, retries, XML parsing and all.
 *
 * It does not verify SigV4 signatures (there is no secret to check against) but
 * insists that an `Authorization` header exists, so an unsigned client fails as
 * it would against AWS. Faults can be injected per action: throttling (HTTP
 * 503), any error code, latency, and hooks that run just before a call (to
 * stage races). Every call is logged with its action and flattened parameters.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../http.js';
import { dispatch } from './actions.js';
import { Ec2Fault, type FakeEntry, makeNacl, NaclStore } from './model.js';
import { errorXml, stsErrorXml } from './xml.js';

export interface CallRecord {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  readonly status: number;
  readonly code?: string;
  /** From the SigV4 credential scope, e.g. `eu-west-1`. */
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly at: number;
}

export interface FakeEc2Options {
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Entries per direction per family (AWS default 20, adjustable to 40). */
  quota?: number;
  /** Delay before every answer, in ms. */
  latencyMs?: number;
  /** NACLs to create at start; default: one default NACL. */
  nacls?: Parameters<typeof makeNacl>[0][];
}

interface Injection {
  action: string | undefined;
  code: string;
  status: number;
  message: string;
  remaining: number;
}

export interface FakeEc2 {
  readonly url: string;
  readonly state: NaclStore;
  readonly calls: CallRecord[];
  /** Ids of the NACLs created from `options.nacls`, in order. */
  readonly naclIds: readonly string[];
  addNacl(opts?: Parameters<typeof makeNacl>[0]): string;
  /** Writes an entry as another tool would (validated, duplicate-checked, quota ignored). */
  addForeignEntry(naclId: string, entry: FakeEntry): void;
  /** Sorted copy of a NACL's entries. */
  entries(naclId: string): FakeEntry[];
  /** The next `count` calls (of `action`, or any) answer RequestLimitExceeded with HTTP 503. */
  injectThrottle(count: number, action?: string): void;
  injectError(
    code: string,
    opts?: { status?: number; count?: number; action?: string; message?: string },
  ): void;
  /** IAM denies `action` (or everything) for the next `count` calls (default: until cleared). */
  injectUnauthorized(action?: string, count?: number): void;
  setLatency(ms: number): void;
  /** Hides entries created less than `ms` ago from DescribeNetworkAcls (eventual consistency). */
  setReadLag(ms: number): void;
  /** Runs `fn` once, just before the next call of `action` is processed. */
  beforeNext(action: string, fn: (state: NaclStore) => void): void;
  clearInjections(): void;
  clearCalls(): void;
  close(): Promise<void>;
}

const EC2_VERSION = '2016-11-15';
const STS_VERSION = '2011-06-15';

export async function startFakeEc2(options: FakeEc2Options = {}): Promise<FakeEc2> {
  const state = new NaclStore(options.quota ?? 20);
  const calls: CallRecord[] = [];
  let injections: Injection[] = [];
  let hooks: { action: string; fn: (s: NaclStore) => void }[] = [];
  let latencyMs = options.latencyMs ?? 0;
  const naclIds = (options.nacls ?? [{}]).map((o) => state.add(makeNacl(o)).networkAclId);

  const takeInjection = (action: string): Injection | undefined => {
    const hit = injections.find((i) => i.remaining > 0 && (i.action === undefined || i.action === action));
    if (hit) hit.remaining -= 1;
    return hit;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'GET' && req.url === '/_state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state.toJSON()));
      return;
    }
    const requestId = randomUUID();
    const body = await readBody(req, {
      maxBytes: 1_000_000,
      tooLarge: () => new Ec2Fault('RequestEntityTooLarge', 'Request too large', 413),
    });
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    const isSts = params.Version === STS_VERSION;
    const auth = parseAuth(req.headers.authorization);
    const send = (status: number, xml: string, code?: string) => {
      calls.push({ action, params, status, ...(code ? { code } : {}), ...auth, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
      res.end(xml);
    };
    const fail = (f: Ec2Fault) =>
      send(f.status, (isSts ? stsErrorXml : errorXml)(f.code, f.message, requestId), f.code);

    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    try {
      if (req.method !== 'POST') throw new Ec2Fault('UnsupportedOperation', 'Only POST is supported.', 405);
      if (!req.headers.authorization) {
        throw new Ec2Fault('MissingAuthenticationToken', 'Request is missing Authentication Token', 401);
      }
      if (!isSts && params.Version !== EC2_VERSION) {
        throw new Ec2Fault('InvalidParameterValue', `Unsupported Version: ${params.Version ?? ''}`);
      }
      const inj = takeInjection(action);
      if (inj) throw new Ec2Fault(inj.code, inj.message, inj.status);
      const hook = hooks.findIndex((h) => h.action === action);
      if (hook >= 0) hooks.splice(hook, 1)[0]?.fn(state);
      if (params.DryRun === 'true') {
        throw new Ec2Fault('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
      }
      send(200, dispatch(action, params, requestId, state));
    } catch (err) {
      fail(
        err instanceof Ec2Fault ? err : new Ec2Fault('InternalError', 'An internal error has occurred', 500),
      );
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  // Keep-alive sockets from the SDK's agent must not hold `close()` open.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    // A port in use must reach the caller as an error, not crash the process.
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    calls,
    naclIds,
    addNacl: (opts = {}) => state.add(makeNacl(opts)).networkAclId,
    addForeignEntry: (naclId, entry) => {
      const nacl = state.get(naclId);
      const e = state.normalise(entry);
      if (nacl.entries.some((x) => x.egress === e.egress && x.ruleNumber === e.ruleNumber)) {
        throw new Ec2Fault('NetworkAclEntryAlreadyExists', `Entry ${e.ruleNumber} already exists.`);
      }
      nacl.entries.push(e);
    },
    entries: (naclId) => state.sorted(state.get(naclId)).map((e) => structuredClone(e)),
    injectThrottle: (count, action) =>
      injections.push({
        action,
        code: 'RequestLimitExceeded',
        status: 503,
        message: 'Request limit exceeded.',
        remaining: count,
      }),
    injectError: (code, o = {}) =>
      injections.push({
        action: o.action,
        code,
        status: o.status ?? 400,
        message: o.message ?? `Injected ${code}`,
        remaining: o.count ?? 1,
      }),
    injectUnauthorized: (action, count = Number.POSITIVE_INFINITY) =>
      injections.push({
        action,
        code: 'UnauthorizedOperation',
        status: 403,
        message:
          'You are not authorized to perform this operation. Encoded authorization failure message: AbCdEf',
        remaining: count,
      }),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setReadLag: (ms) => {
      state.readLagMs = ms;
    },
    beforeNext: (action, fn) => hooks.push({ action, fn }),
    clearInjections: () => {
      injections = [];
      hooks = [];
    },
    clearCalls: () => {
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function parseAuth(header: string | undefined): { region?: string; accessKeyId?: string } {
  const m = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\//.exec(header ?? '');
  return m ? { accessKeyId: m[1] as string, region: m[2] as string } : {};
}
