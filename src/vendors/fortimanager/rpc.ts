/**
 * FortiManager JSON-RPC over the shared `Transport`: every call is a POST to
 * `<url>/jsonrpc` with `{ id, method, params: [{ url, … }], session }`, and
 * every answer `{ result: [{ status: { code, message }, data }] }`.
 *
 * Authentication is an API key (`Authorization: Bearer`, FortiManager 7.2.2+;
 * never the `access_token` query form) or a session: `exec /sys/login/user`
 * returns a session id that later calls carry in the body, and
 * `exec /sys/logout` ends it. `withSession` always logs out, so no session
 * outlives the operation that opened it; the session id is registered as a
 * secret so that it is scrubbed like the password.
 */
import type { RequestContext } from '../../kernel/context.js';
import { authError, RelayError } from '../../kernel/errors.js';
import { Transport } from '../../kernel/upstream/transport.js';
import { type FortiManagerConfig, PRODUCT } from './config.js';

export const RPC = {
  OK: 0,
  EXISTS: -2,
  NOT_FOUND: -3,
  INVALID_URL: -6,
  /** `lockinfo` on an ADOM without workspace mode (ansible-galaxy-fortimanager-collection httpapi). */
  NO_WORKSPACE: -9,
  NO_PERMISSION: -11,
  LOGIN_FAILED: -22,
} as const;

export interface RpcResult {
  readonly code: number;
  readonly message: string;
  readonly data: unknown;
}

export interface RpcParams {
  readonly url: string;
  readonly data?: unknown;
  readonly fields?: readonly string[];
  readonly filter?: readonly unknown[];
}

let nextId = 1;

export class FmgRpc {
  readonly transport: Transport;
  private session: string | undefined;

  constructor(
    readonly cfg: FortiManagerConfig,
    readonly ctx: RequestContext,
  ) {
    const secrets = cfg.auth.kind === 'key' ? [cfg.auth.apiKey] : [cfg.auth.password];
    this.transport = new Transport(
      {
        product: PRODUCT,
        urlField: 'fortimanager_url',
        baseUrl: cfg.url,
        secrets,
        ...(cfg.caBundle ? { ca: cfg.caBundle } : {}),
      },
      ctx,
    );
  }

  /** One JSON-RPC request with one params entry; HTTP failures become relay errors, status codes are returned. */
  async call(method: 'get' | 'add' | 'set' | 'update' | 'delete' | 'exec', p: RpcParams): Promise<RpcResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.cfg.auth.kind === 'key') headers.authorization = `Bearer ${this.cfg.auth.apiKey}`;
    const body = {
      id: nextId++,
      method,
      params: [p],
      verbose: 1,
      ...(this.session ? { session: this.session } : {}),
    };
    const res = await this.transport.send({
      method: 'POST',
      url: `${this.cfg.url}/jsonrpc`,
      headers,
      body: JSON.stringify(body),
      idempotent: method === 'get',
    });
    if (res.status === 401) throw authError(`${PRODUCT} refused the API key (check fortimanager_api_key).`);
    if (res.status !== 200) throw this.transport.statusError(res);
    let parsed: {
      result?: Array<{ status?: { code?: unknown; message?: unknown }; data?: unknown }>;
      session?: unknown;
    };
    try {
      parsed = JSON.parse(res.text);
    } catch {
      throw new RelayError('unknown', `Unexpected response from ${PRODUCT}: not JSON.`);
    }
    const r = parsed.result?.[0];
    if (!r || typeof r.status?.code !== 'number') {
      throw new RelayError('unknown', `Unexpected response from ${PRODUCT}: no result status.`);
    }
    if (method === 'exec' && p.url === '/sys/login/user' && typeof parsed.session === 'string') {
      this.session = parsed.session;
      this.transport.addSecrets(parsed.session);
    }
    return { code: r.status.code, message: String(r.status.message ?? ''), data: r.data };
  }

  /** `call`, and anything but OK is an error (`what` says what we were doing). */
  async ok(method: Parameters<FmgRpc['call']>[0], p: RpcParams, what: string): Promise<unknown> {
    const r = await this.call(method, p);
    if (r.code !== RPC.OK) throw rpcError(r, what);
    return r.data;
  }

  /** Runs `fn` inside a session (login first, logout always) or directly with an API key. */
  async withSession<T>(fn: () => Promise<T>): Promise<T> {
    if (this.cfg.auth.kind === 'key') return fn();
    const { user, password } = this.cfg.auth;
    const r = await this.call('exec', { url: '/sys/login/user', data: { user, passwd: password } });
    if (r.code !== RPC.OK || !this.session) {
      throw authError(
        `${PRODUCT} refused the login of ${user} (check fortimanager_username, fortimanager_password and rpc-permit).`,
      );
    }
    try {
      return await fn();
    } finally {
      await this.logout();
    }
  }

  private async logout(): Promise<void> {
    try {
      await this.call('exec', { url: '/sys/logout' });
    } catch (err) {
      // The session expires by itself; a failed logout must not turn a done block into an error.
      this.ctx.log.warn('FortiManager logout failed', {
        reason: err instanceof Error ? err.message : 'unknown',
      });
    } finally {
      this.session = undefined;
    }
  }
}

/** A non-OK status as a relay error, in our words. */
export function rpcError(r: RpcResult, what: string): RelayError {
  switch (r.code) {
    case RPC.NO_PERMISSION:
      return new RelayError(
        'permission denied',
        `Permission denied by ${PRODUCT} while ${what}: the API administrator needs rpc-permit read-write and a profile with Policy & Objects read-write on the ADOM.`,
      );
    case RPC.LOGIN_FAILED:
      return authError(`${PRODUCT} refused the session while ${what}.`);
    case RPC.NOT_FOUND:
    case RPC.INVALID_URL:
      return new RelayError('not found', `${PRODUCT}: not found while ${what} (code ${r.code}).`);
    case RPC.EXISTS:
      return new RelayError('state conflict', `${PRODUCT}: already exists while ${what}.`);
    default:
      return new RelayError('unknown', `${PRODUCT} refused ${what} (code ${r.code}).`);
  }
}
