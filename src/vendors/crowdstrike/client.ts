/**
 * Falcon API calls over `Transport`: OAuth2 client credentials
 * (`POST /oauth2/token`, cached per credential), device search by FQL,
 * device details, host actions (contain / lift_containment) and device tags.
 * Falcon's error bodies (`{"errors":[{"code","message"}]}`) are mapped by
 * status, in our words.
 */
import type { RequestContext } from '../../kernel/context.js';
import { authError, RelayError } from '../../kernel/errors.js';
import { statusError } from '../../kernel/upstream/errors.js';
import { TokenCache } from '../../kernel/upstream/token-cache.js';
import { Transport } from '../../kernel/upstream/transport.js';
import { type CrowdStrikeConfig, PRODUCT } from './config.js';

export type ContainmentStatus = 'normal' | 'containment_pending' | 'contained' | 'lift_containment_pending';

export interface Device {
  readonly deviceId: string;
  readonly hostname: string | null;
  readonly localIp: string | null;
  readonly macAddress: string | null;
  readonly platformName: string | null;
  readonly status: ContainmentStatus | string;
  readonly lastSeen: string | null;
  readonly tags: readonly string[];
}

/** Falcon refused a host action for the device's current state (409 or a per-id error). */
export class ActionRefused extends Error {}

/** Forgets cached tokens (tests). */

/** An FQL string literal: quotes and backslashes escaped. */
export const fqlString = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export class FalconApi {
  private readonly api: Transport;
  private readonly key: string;

  constructor(
    private readonly cfg: CrowdStrikeConfig,
    ctx: RequestContext,
  ) {
    this.api = new Transport(
      { product: PRODUCT, urlField: 'crowdstrike_api_url', baseUrl: cfg.apiUrl, secrets: [cfg.clientSecret] },
      ctx,
    );
    this.key = TokenCache.key(`${cfg.apiUrl}/oauth2/token`, cfg.clientId, cfg.clientSecret);
  }

  private async token(): Promise<string> {
    const token = await TokenCache.of(this.api.caches, 'crowdstrike').get(this.key, async () => {
      const res = await this.api.send({
        method: 'POST',
        url: `${this.cfg.apiUrl}/oauth2/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: this.cfg.clientId,
          client_secret: this.cfg.clientSecret,
        }).toString(),
        idempotent: true,
      });
      if (res.status === 400 || res.status === 401 || res.status === 403) {
        throw authError(`${PRODUCT} refused the API client credentials (HTTP ${res.status})`);
      }
      if (res.status !== 201 && res.status !== 200) throw this.api.statusError(res);
      const body = this.api.json(res) as { access_token?: unknown; expires_in?: unknown };
      if (typeof body.access_token !== 'string' || body.access_token === '') {
        throw new RelayError('unknown', `Unexpected response from ${PRODUCT}: no access token.`);
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

  private async call(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<unknown> {
    const res = await this.api.sendBearer(
      { method, url: `${this.cfg.apiUrl}${path}`, json: body },
      {
        get: () => this.token(),
        drop: (token) => TokenCache.of(this.api.caches, 'crowdstrike').invalidate(this.key, token),
      },
    );
    if (res.status >= 200 && res.status < 300) return this.api.json(res);
    if (res.status === 409) throw new ActionRefused(`HTTP ${res.status}`);
    throw statusError(PRODUCT, res.status, `HTTP ${res.status}`);
  }

  /** Device ids matching an FQL filter (first 100). */
  async queryDevices(filter: string): Promise<string[]> {
    const json = await this.call(
      'GET',
      `/devices/queries/devices/v1?filter=${encodeURIComponent(filter)}&limit=100`,
    );
    return resources(json).filter((x): x is string => typeof x === 'string');
  }

  async devices(ids: readonly string[]): Promise<Device[]> {
    if (ids.length === 0) return [];
    const q = ids.map((id) => `ids=${encodeURIComponent(id)}`).join('&');
    try {
      return resources(await this.call('GET', `/devices/entities/devices/v2?${q}`)).map(toDevice);
    } catch (err) {
      // Falcon answers 404 when none of the ids exists (any longer).
      if (err instanceof RelayError && err.code === 'not found') return [];
      throw err;
    }
  }

  /** `contain` or `lift_containment` on one device. */
  async hostAction(action: 'contain' | 'lift_containment', deviceId: string): Promise<void> {
    await this.call('POST', `/devices/entities/devices-actions/v2?action_name=${action}`, {
      ids: [deviceId],
    });
  }

  async tag(action: 'add' | 'remove', deviceId: string, tag: string): Promise<void> {
    await this.call('PATCH', '/devices/entities/devices/tags/v1', {
      action,
      device_ids: [deviceId],
      tags: [tag],
    });
  }

  /** One cheap authenticated call. */
  async health(): Promise<void> {
    await this.call('GET', '/devices/queries/devices/v1?limit=1');
  }
}

function resources(json: unknown): unknown[] {
  const r = (json as { resources?: unknown } | null)?.resources;
  if (r === null) return [];
  if (!Array.isArray(r))
    throw new RelayError('unknown', `Unexpected response from ${PRODUCT}: no resources.`);
  return r;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function toDevice(raw: unknown): Device {
  const d = raw as Record<string, unknown>;
  if (typeof d?.device_id !== 'string') {
    throw new RelayError('unknown', `Unexpected response from ${PRODUCT}: a device without device_id.`);
  }
  return {
    deviceId: d.device_id,
    hostname: str(d.hostname),
    localIp: str(d.local_ip),
    macAddress: str(d.mac_address),
    platformName: str(d.platform_name),
    status: String(d.status ?? ''),
    lastSeen: str(d.last_seen),
    tags: Array.isArray(d.tags) ? d.tags.filter((t): t is string => typeof t === 'string') : [],
  };
}
