/**
 * Defender for Endpoint API calls over `Transport`: Microsoft Entra
 * client-credentials tokens (v2.0 endpoint, cached per credential), machines,
 * machine actions and indicators. Every call is paced to the documented limit
 * (100 calls per minute and 1,500 per hour) and Defender's error bodies
 * (`{"error":{"code","message"}}`) are mapped to relay errors by their code,
 * never by their free text.
 */

import type { RequestContext } from '../../kernel/context.js';
import { authError, RelayError } from '../../kernel/errors.js';
import { statusError } from '../../kernel/upstream/errors.js';
import { pacerFor, type RateWindow } from '../../kernel/upstream/pacer.js';
import { TokenCache } from '../../kernel/upstream/token-cache.js';
import { Transport, type TransportResponse } from '../../kernel/upstream/transport.js';
import { type DefenderConfig, PRODUCT } from './config.js';

export interface Machine {
  readonly id: string;
  readonly computerDnsName: string | null;
  readonly osPlatform: string | null;
  readonly version: string | null;
  readonly lastIpAddress: string | null;
  readonly healthStatus: string | null;
  readonly lastSeen: string | null;
}

export type ActionStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';

export interface MachineAction {
  readonly id: string;
  readonly type: string;
  readonly scope: string | null;
  readonly status: ActionStatus;
  readonly machineId: string;
  readonly requestorComment: string | null;
  readonly creationDateTimeUtc: string;
}

export interface Indicator {
  readonly id: string;
  readonly indicatorValue: string;
  readonly indicatorType: string;
  readonly action: string;
  readonly title: string | null;
  readonly description: string | null;
}

/** Defender answered "Action is already in progress" (a second request of the same action). */
export class ActionInProgress extends Error {}

/** The documented limit of every Defender API used here. */
export const DEFENDER_LIMITS: readonly RateWindow[] = [
  { calls: 100, perMs: 60_000 },
  { calls: 1500, perMs: 3_600_000 },
];

/** Forgets cached tokens (tests). */

const CODE = /^[A-Za-z_]{1,60}$/;

/** Defender's error code (`InvalidInput`, `OsPlatformNotSupported`…), when the body has one. */
export function errorCode(text: string): string | undefined {
  try {
    const b = JSON.parse(text) as { error?: { code?: unknown } | string };
    const code = typeof b.error === 'string' ? b.error : b.error?.code;
    return typeof code === 'string' && CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

const errorMessage = (text: string): string => {
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof m === 'string' ? m : '';
  } catch {
    return '';
  }
};

/** An OData string literal: single quotes doubled. */
export const odataString = (v: string): string => `'${v.replace(/'/g, "''")}'`;

export class DefenderApi {
  private readonly api: Transport;
  private readonly login: Transport;
  private readonly key: string;

  constructor(
    private readonly cfg: DefenderConfig,
    private readonly ctx: RequestContext,
  ) {
    const secrets = [cfg.clientSecret];
    this.api = new Transport(
      { product: PRODUCT, urlField: 'microsoft_defender_api_url', baseUrl: cfg.apiUrl, secrets },
      ctx,
    );
    this.login = new Transport(
      {
        product: 'Microsoft Entra ID',
        urlField: 'microsoft_defender_login_url',
        baseUrl: cfg.tokenUrl,
        secrets,
      },
      ctx,
    );
    this.key = TokenCache.key(cfg.tokenUrl, cfg.clientId, cfg.clientSecret, cfg.scope);
  }

  private async token(): Promise<string> {
    const token = await TokenCache.of(this.api.caches, 'microsoft_defender').get(this.key, async () => {
      const res = await this.login.send({
        method: 'POST',
        url: this.cfg.tokenUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: this.cfg.clientId,
          client_secret: this.cfg.clientSecret,
          scope: this.cfg.scope,
        }).toString(),
        idempotent: true,
      });
      if (res.status === 400 || res.status === 401) {
        const code = errorCode(res.text) ?? `HTTP ${res.status}`;
        throw authError(`Microsoft Entra ID refused the client credentials of ${PRODUCT} (${code})`);
      }
      if (res.status !== 200) throw this.login.statusError(res);
      const body = this.api.json(res) as { access_token?: unknown; expires_in?: unknown };
      if (typeof body.access_token !== 'string' || body.access_token === '') {
        throw new RelayError('unknown', 'Unexpected response from Microsoft Entra ID: no access token.');
      }
      const expiresIn = Number(body.expires_in);
      return {
        accessToken: body.access_token,
        expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 300,
      };
    });
    this.api.addSecrets(token);
    return token;
  }

  /** One API call: paced, authorised (a refused token is renewed once), 2xx parsed. */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const res = await this.api.sendBearer(
      { method, url: `${this.cfg.apiUrl}${path}`, json: body },
      {
        get: () => this.token(),
        drop: (token) => TokenCache.of(this.api.caches, 'microsoft_defender').invalidate(this.key, token),
      },
      // Every attempt counts against Defender's documented limits.
      () =>
        pacerFor(this.api.caches, `${this.api.origin}|${this.cfg.tenantId}`, PRODUCT, DEFENDER_LIMITS).take(
          this.ctx.deadline,
          this.ctx.signal,
        ),
    );
    if (res.status >= 200 && res.status < 300) {
      return { status: res.status, json: res.status === 204 || res.text === '' ? null : this.api.json(res) };
    }
    throw this.failure(res);
  }

  private failure(res: TransportResponse): Error {
    const code = errorCode(res.text);
    if (res.status === 400 && /already in progress/i.test(errorMessage(res.text))) {
      return new ActionInProgress('Action is already in progress');
    }
    if (res.status === 400 && (code === 'OsPlatformNotSupported' || code === 'ClientVersionNotSupported')) {
      return new RelayError(
        'invalid argument',
        `${PRODUCT} does not support this action on the machine's operating system or sensor version (${code}).`,
      );
    }
    return statusError(PRODUCT, res.status, code ?? `HTTP ${res.status}`);
  }

  /** Machines whose last IP is `ip` (`ip` must already be a validated address). */
  async machinesByIp(ip: string): Promise<Machine[]> {
    const filter = encodeURIComponent(`lastIpAddress eq ${odataString(ip)}`);
    try {
      return valueList((await this.call('GET', `/api/machines?$filter=${filter}`)).json).map(toMachine);
    } catch (err) {
      // Defender answers 404 when it has no recent machines (README.md, "The fake"): none.
      if (err instanceof RelayError && err.code === 'not found') return [];
      throw err;
    }
  }

  async machine(id: string): Promise<Machine | null> {
    try {
      return toMachine((await this.call('GET', `/api/machines/${encodeURIComponent(id)}`)).json);
    } catch (err) {
      if (err instanceof RelayError && err.code === 'not found') return null;
      throw err;
    }
  }

  /** The machine's actions, newest first. */
  async actionsOf(machineId: string): Promise<MachineAction[]> {
    const filter = encodeURIComponent(`machineId eq ${odataString(machineId)}`);
    const { json } = await this.call('GET', `/api/machineactions?$filter=${filter}&$top=1000`);
    return valueList(json)
      .map(toAction)
      .sort((a, b) => b.creationDateTimeUtc.localeCompare(a.creationDateTimeUtc));
  }

  async action(id: string): Promise<MachineAction | null> {
    try {
      return toAction((await this.call('GET', `/api/machineactions/${encodeURIComponent(id)}`)).json);
    } catch (err) {
      if (err instanceof RelayError && err.code === 'not found') return null;
      throw err;
    }
  }

  /** POST /api/machines/{id}/<verb> (isolate, unisolate, runAntiVirusScan…): the new action. */
  async machineAction(machineId: string, verb: string, body: Record<string, string>): Promise<MachineAction> {
    const { json } = await this.call('POST', `/api/machines/${encodeURIComponent(machineId)}/${verb}`, body);
    return toAction(json);
  }

  async cancel(actionId: string, comment: string): Promise<MachineAction> {
    const { json } = await this.call('POST', `/api/machineactions/${encodeURIComponent(actionId)}/cancel`, {
      Comment: comment,
    });
    return toAction(json);
  }

  async indicatorsFor(value: string): Promise<Indicator[]> {
    const filter = encodeURIComponent(`indicatorValue eq ${odataString(value)}`);
    return valueList((await this.call('GET', `/api/indicators?$filter=${filter}`)).json).map(toIndicator);
  }

  /** True when the tenant holds an indicator at position `index` (0-based): at least index+1 of them. */
  async indicatorAt(index: number): Promise<boolean> {
    return valueList((await this.call('GET', `/api/indicators?$top=1&$skip=${index}`)).json).length > 0;
  }

  async submitIndicator(body: Record<string, unknown>): Promise<Indicator> {
    return toIndicator((await this.call('POST', '/api/indicators', body)).json);
  }

  async deleteIndicators(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.call('POST', '/api/indicators/BatchDelete', { IndicatorIds: ids });
  }

  /** One cheap authenticated call. */
  async health(): Promise<void> {
    await this.call('GET', '/api/machines?$top=1');
  }
}

function valueList(json: unknown): unknown[] {
  const v = (json as { value?: unknown } | null)?.value;
  if (!Array.isArray(v))
    throw new RelayError('unknown', `Unexpected response from ${PRODUCT}: no value list.`);
  return v;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function toMachine(raw: unknown): Machine {
  const m = raw as Record<string, unknown>;
  if (typeof m?.id !== 'string')
    throw new RelayError('unknown', `Unexpected response from ${PRODUCT}: a machine without id.`);
  return {
    id: m.id,
    computerDnsName: str(m.computerDnsName),
    osPlatform: str(m.osPlatform),
    version: str(m.version),
    lastIpAddress: str(m.lastIpAddress),
    healthStatus: str(m.healthStatus),
    lastSeen: str(m.lastSeen),
  };
}

const STATUSES = new Set(['Pending', 'InProgress', 'Succeeded', 'Failed', 'TimeOut', 'Cancelled']);

function toAction(raw: unknown): MachineAction {
  const a = raw as Record<string, unknown>;
  if (typeof a?.id !== 'string' || typeof a.status !== 'string' || !STATUSES.has(a.status)) {
    throw new RelayError(
      'unknown',
      `Unexpected response from ${PRODUCT}: a machine action without id or status.`,
    );
  }
  return {
    id: a.id,
    type: String(a.type ?? ''),
    scope: str(a.scope),
    status: a.status as ActionStatus,
    machineId: String(a.machineId ?? ''),
    requestorComment: str(a.requestorComment),
    creationDateTimeUtc: String(a.creationDateTimeUtc ?? ''),
  };
}

function toIndicator(raw: unknown): Indicator {
  const i = raw as Record<string, unknown>;
  if (i?.id === undefined || i.id === null) {
    throw new RelayError('unknown', `Unexpected response from ${PRODUCT}: an indicator without id.`);
  }
  return {
    id: String(i.id),
    indicatorValue: String(i.indicatorValue ?? ''),
    indicatorType: String(i.indicatorType ?? ''),
    action: String(i.action ?? ''),
    title: str(i.title),
    description: str(i.description),
  };
}
