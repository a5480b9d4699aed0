/**
 * FMC token auth and pacing, shared by every request of a warm process:
 *
 * - `generatetoken` (Basic auth, 204 with `X-auth-access-token`,
 *   `X-auth-refresh-token`, `DOMAIN_UUID`, `DOMAINS`), tokens valid 30
 *   minutes and refreshable three times (FMC REST API quick start guide);
 *   cached per (origin, user, password hash), bounded, single-flight;
 * - a sliding-window pacer per origin below FMC's 120 requests per minute,
 *   so a batch waits its turn instead of collecting 429s.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestContext } from '../../kernel/context.js';
import { authError, RelayError } from '../../kernel/errors.js';
import type { Transport } from '../../kernel/upstream/transport.js';
import { FMC_PRODUCT, type FmcConfig } from './config.js';

export interface FmcSession {
  readonly access: string;
  readonly refresh: string;
  readonly domainUuid: string;
  readonly domains: readonly { name: string; uuid: string }[];
  /** Epoch ms after which we stop using the access token (a margin before FMC's 30 minutes). */
  readonly usableUntil: number;
  readonly refreshes: number;
}

/** FMC's own figures; tests and benches may narrow the window. */
export const fmcLimits = {
  /** Calls per window we allow ourselves (FMC allows 120 per minute per client address). */
  callsPerWindow: 110,
  windowMs: 60_000,
  tokenLifetimeMs: 30 * 60_000,
  /** Stop using a token this long before it expires. */
  tokenMarginMs: 2 * 60_000,
  maxRefreshes: 3,
};

const MAX_CACHED = 32;
const sessions = new Map<string, FmcSession>();
const inflight = new Map<string, Promise<FmcSession>>();
const windows = new Map<string, number[]>();

/** Drops every cached token and pacing window (tests). */
export function resetFmcState(): void {
  sessions.clear();
  inflight.clear();
  windows.clear();
}

const remember = <V>(map: Map<string, V>, key: string, value: V): void => {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_CACHED) map.delete(map.keys().next().value as string);
};

export const sessionKey = (cfg: FmcConfig): string =>
  createHash('sha256').update(`${cfg.url}\0${cfg.username}\0${cfg.password}`).digest('hex');

/** Waits until one more call to `origin` fits the window; `too many requests` if that passes the deadline. */
export async function pace(origin: string, ctx: RequestContext): Promise<void> {
  for (;;) {
    const now = Date.now();
    const stamps = windows.get(origin) ?? [];
    while (stamps.length > 0 && (stamps[0] as number) <= now - fmcLimits.windowMs) stamps.shift();
    if (stamps.length < fmcLimits.callsPerWindow) {
      stamps.push(now);
      remember(windows, origin, stamps);
      return;
    }
    const wait = (stamps[0] as number) + fmcLimits.windowMs - now;
    if (now + wait + 100 >= ctx.deadline) {
      throw new RelayError(
        'too many requests',
        `Too many requests to ${FMC_PRODUCT} (it allows ${fmcLimits.callsPerWindow} per minute from us). Please, try again later.`,
      );
    }
    await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
    if (ctx.signal.aborted)
      throw new RelayError('service unavailable', `The ${FMC_PRODUCT} did not answer in time.`);
  }
}

const header = (h: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** Tokens for this request: the cached session, a refreshed one, or a new one. */
export class FmcAuth {
  private readonly key: string;

  constructor(
    private readonly cfg: FmcConfig,
    private readonly transport: Transport,
    private readonly ctx: RequestContext,
  ) {
    this.key = sessionKey(cfg);
    transport.addSecrets(cfg.password, Buffer.from(`${cfg.username}:${cfg.password}`).toString('base64'));
  }

  async session(): Promise<FmcSession> {
    const s = sessions.get(this.key);
    if (s && Date.now() < s.usableUntil) return s;
    return this.singleFlight(() =>
      s && s.refreshes < fmcLimits.maxRefreshes ? this.refresh(s) : this.generate(),
    );
  }

  /** After a 401 with `used`: forget it (unless another call already replaced it) and authenticate anew. */
  async renew(used: FmcSession): Promise<FmcSession> {
    if (sessions.get(this.key) === used) sessions.delete(this.key);
    return this.session();
  }

  private singleFlight(fn: () => Promise<FmcSession>): Promise<FmcSession> {
    const running = inflight.get(this.key);
    if (running) return running;
    const p = fn().finally(() => inflight.delete(this.key));
    remember(inflight, this.key, p);
    return p;
  }

  private async generate(): Promise<FmcSession> {
    const basic = Buffer.from(`${this.cfg.username}:${this.cfg.password}`).toString('base64');
    const res = await this.post('/api/fmc_platform/v1/auth/generatetoken', {
      authorization: `Basic ${basic}`,
    });
    if (res.status === 401) throw authError(`${FMC_PRODUCT} refused the username or password.`);
    return this.store(res, 0);
  }

  private async refresh(s: FmcSession): Promise<FmcSession> {
    const res = await this.post('/api/fmc_platform/v1/auth/refreshtoken', {
      'x-auth-access-token': s.access,
      'x-auth-refresh-token': s.refresh,
    });
    // A refresh token past its use: start over with the credentials.
    if (res.status === 401 || res.status === 400) return this.generate();
    return this.store(res, s.refreshes + 1);
  }

  private async post(path: string, headers: Record<string, string>) {
    await pace(this.transport.origin, this.ctx);
    const res = await this.transport.send({
      method: 'POST',
      url: `${this.cfg.url}${path}`,
      headers,
      idempotent: true,
    });
    if (res.status !== 204 && res.status !== 401 && res.status !== 400) throw this.transport.statusError(res);
    return res;
  }

  private store(
    res: { status: number; headers: Record<string, string | string[] | undefined> },
    refreshes: number,
  ) {
    const access = header(res.headers, 'x-auth-access-token');
    const refresh = header(res.headers, 'x-auth-refresh-token');
    const domainUuid = header(res.headers, 'domain_uuid');
    if (res.status !== 204 || !access || !refresh || !domainUuid) {
      throw new RelayError(
        'unknown',
        `Unexpected response from ${FMC_PRODUCT}: no access token in its answer.`,
      );
    }
    this.transport.addSecrets(access, refresh);
    let domains: { name: string; uuid: string }[] = [];
    try {
      const parsed: unknown = JSON.parse(header(res.headers, 'domains') ?? '[]');
      if (Array.isArray(parsed)) {
        domains = parsed.filter(
          (d): d is { name: string; uuid: string } =>
            typeof d?.name === 'string' && typeof d?.uuid === 'string',
        );
      }
    } catch {
      domains = [];
    }
    const session: FmcSession = {
      access,
      refresh,
      domainUuid,
      domains,
      usableUntil: Date.now() + fmcLimits.tokenLifetimeMs - fmcLimits.tokenMarginMs,
      refreshes,
    };
    remember(sessions, this.key, session);
    return session;
  }
}
