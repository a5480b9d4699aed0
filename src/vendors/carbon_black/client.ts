/**
 * Carbon Black Cloud API calls over `Transport`: the device search, one device
 * by id, and the device-actions endpoint (quarantine on/off). Every call
 * carries `X-Auth-Token: <secret>/<id>` (a header, never the URL) and is
 * scoped to the configured org. Answers are checked with zod; a 200 that is
 * not the documented shape is an `unknown` error naming the product.
 */
import * as z from 'zod/mini';
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import { Transport, type TransportResponse } from '../../kernel/upstream/transport.js';
import { type CbConfig, PRODUCT } from './config.js';

/** The device fields we read (the API returns many more). */
const DeviceSchema = z.object({
  id: z.number(),
  name: z.nullish(z.string()),
  last_internal_ip_address: z.nullish(z.string()),
  quarantined: z.nullish(z.boolean()),
  status: z.nullish(z.string()),
  os: z.nullish(z.string()),
});
export type Device = z.output<typeof DeviceSchema>;

const SearchSchema = z.object({ results: z.array(DeviceSchema), num_found: z.number() });

/** Rows we ask for when matching one host: more than this at one IP is a conflict anyway. */
export const SEARCH_ROWS = 20;

/** Device statuses of sensors that are gone: never a match. */
export const GONE_STATUSES = new Set(['DEREGISTERED', 'UNINSTALLED', 'DELETED']);

export class CbApi {
  readonly transport: Transport;
  private readonly token: string;

  constructor(
    readonly cfg: CbConfig,
    readonly ctx: RequestContext,
  ) {
    this.token = `${cfg.apiSecret}/${cfg.apiId}`;
    this.transport = new Transport(
      {
        product: PRODUCT,
        urlField: 'carbon_black_url',
        baseUrl: cfg.url,
        secrets: [this.token, cfg.apiSecret],
      },
      ctx,
    );
  }

  /** `<url>/appservices/v6/orgs/<org>/<path>`. */
  orgUrl(path: string): string {
    return `${this.cfg.url}/appservices/v6/orgs/${encodeURIComponent(this.cfg.orgKey)}/${path}`;
  }

  /** Sends one request; non-2xx become `RelayError`s, 404 answers `null` when allowed. */
  async send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    opts: { allow404?: boolean } = {},
  ): Promise<TransportResponse | null> {
    const res = await this.transport.send({
      method,
      url: this.orgUrl(path),
      headers: {
        'x-auth-token': this.token,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // Searches and reads are safe to retry; actions only on 429 (the transport's rule).
      idempotent: method === 'GET' || path.endsWith('/_search'),
    });
    if (res.status === 404 && opts.allow404) return null;
    if (res.status < 200 || res.status > 299) throw this.statusError(res);
    return res;
  }

  private statusError(res: TransportResponse): RelayError {
    if (res.status === 401) {
      return new RelayError(
        'authorization error',
        `Authorization failed: ${PRODUCT} refused the API key (check carbon_black_api_id, carbon_black_api_secret and carbon_black_org_key).`,
      );
    }
    if (res.status === 403) {
      return new RelayError(
        'permission denied',
        `Permission denied by ${PRODUCT}: the API key's access level lacks a permission this action needs.`,
      );
    }
    return this.transport.statusError(res);
  }

  async json<S extends z.ZodMiniType>(schema: S, res: TransportResponse, what: string): Promise<z.output<S>> {
    let raw: unknown;
    try {
      raw = JSON.parse(res.text);
    } catch {
      throw unexpected(what);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw unexpected(what);
    return parsed.data;
  }

  /** Devices whose last internal IP is `ip` (the API's query syntax; we re-check exactly). */
  async devicesAtIp(ip: string): Promise<{ devices: Device[]; total: number }> {
    const res = await this.send('POST', 'devices/_search', {
      query: `last_internal_ip_address:"${ip}"`,
      rows: SEARCH_ROWS,
      start: 1,
    });
    const body = await this.json(SearchSchema, res as TransportResponse, 'device search');
    return { devices: body.results, total: body.num_found };
  }

  /** One device by id, or `null` when it no longer exists. */
  async device(id: number): Promise<Device | null> {
    const res = await this.send('GET', `devices/${id}`, undefined, { allow404: true });
    return res ? this.json(DeviceSchema, res, 'device') : null;
  }

  /** Quarantine on or off for a batch of devices: one call (the API takes a list). */
  async quarantine(deviceIds: readonly number[], on: boolean): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.send('POST', 'device_actions', {
      action_type: 'QUARANTINE',
      device_id: [...deviceIds],
      options: { toggle: on ? 'ON' : 'OFF' },
    });
  }

  /** One cheap authenticated call. */
  async health(): Promise<void> {
    const res = await this.send('POST', 'devices/_search', { rows: 1, start: 1 });
    await this.json(SearchSchema, res as TransportResponse, 'device search');
  }
}

const unexpected = (what: string) =>
  new RelayError(
    'unknown',
    `Unexpected response from ${PRODUCT}: the ${what} answer is not in the documented form.`,
  );
