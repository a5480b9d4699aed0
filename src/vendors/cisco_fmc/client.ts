/**
 * The FMC REST API calls the `cisco_fmc` client makes, over the shared
 * transport, paced and authenticated by `auth.ts`:
 *
 * - `GET/POST /api/fmc_config/v1/domain/{domainUUID}/object/dynamicobjects`
 *   to find or create our dynamic objects (type IP);
 * - `POST …/object/dynamicobjectmappings` with `add` / `remove` lists: the
 *   mappings take effect on the devices without a deployment;
 * - `GET /api/fmc_platform/v1/info/serverversion` for health.
 *
 * Our objects carry our name prefix and a fixed description; an object with
 * our name but not our description is someone else's and is never touched.
 */
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import { Transport, type TransportResponse } from '../../kernel/upstream/transport.js';
import { FmcAuth, type FmcSession, pace } from './auth.js';
import { FMC_PRODUCT, type FmcConfig } from './config.js';

/** The description that marks a dynamic object as ours. */
export const OUR_DESCRIPTION =
  'Managed by the Vectra relay (vectra-relay): addresses blocked by Vectra. Do not edit.';
/** Objects per page when listing (FMC's maximum `limit`). */
const PAGE = 1000;
/** Mappings per bulk call, well within FMC's 2 MB payload limit. */
export const MAX_MAPPINGS_PER_CALL = 1000;

interface DynamicObject {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
}

const MAX_IDS = 256;
/** Object ids by origin, domain and name, bounded: saves a listing per block. */
const objectIds = new Map<string, string>();
export const forgetFmcObjects = (): void => objectIds.clear();

export class FmcApi {
  private readonly transport: Transport;

  /** An answer's JSON body, or an `unknown` error naming FMC (never a crash). */
  json<T>(text: string): T {
    return this.transport.json<T>({ text });
  }
  private readonly auth: FmcAuth;

  constructor(
    private readonly cfg: FmcConfig,
    private readonly ctx: RequestContext,
  ) {
    this.transport = new Transport(
      {
        product: FMC_PRODUCT,
        urlField: 'cisco_fmc_url',
        baseUrl: cfg.url,
        secrets: [cfg.password],
        ...(cfg.caBundle ? { ca: cfg.caBundle } : {}),
      },
      ctx,
    );
    this.auth = new FmcAuth(cfg, this.transport, ctx);
  }

  /** One paced, authenticated call; a 401 (token expired or revoked) re-authenticates once. */
  async call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: (domain: string) => string,
    body?: unknown,
  ): Promise<TransportResponse> {
    let session = await this.auth.session();
    for (let attempt = 0; ; attempt++) {
      const domain = this.domainOf(session);
      await pace(this.transport.origin, this.ctx);
      const res = await this.transport.send({
        method,
        url: `${this.cfg.url}${path(domain)}`,
        headers: {
          'x-auth-access-token': session.access,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        idempotent: method === 'GET' || method === 'PUT',
      });
      if (res.status === 401 && attempt === 0) {
        session = await this.auth.renew(session);
        continue;
      }
      return res;
    }
  }

  private domainOf(s: FmcSession): string {
    if (!this.cfg.domain) return s.domainUuid;
    const d = s.domains.find((x) => x.name.toLowerCase() === this.cfg.domain?.toLowerCase());
    if (!d)
      throw new RelayError('not found', `${FMC_PRODUCT} has no domain ${this.cfg.domain} for this user.`);
    return d.uuid;
  }

  fail(res: TransportResponse, what: string): RelayError {
    if (res.status === 400 || res.status === 422) {
      return new RelayError('invalid argument', `${FMC_PRODUCT} refused to ${what}.`);
    }
    return this.transport.statusError(res);
  }

  private cacheKey(name: string): string {
    return `${this.cfg.url}|${this.cfg.domain ?? ''}|${name}`;
  }

  /** Our dynamic object's id, created when absent; `create: false` answers undefined instead. */
  async objectId(name: string, create: boolean): Promise<string | undefined> {
    const cached = objectIds.get(this.cacheKey(name));
    if (cached) return cached;
    let found = await this.find(name);
    if (!found && create) found = await this.create(name);
    if (!found) return undefined;
    if (found.description !== OUR_DESCRIPTION) {
      throw new RelayError(
        'state conflict',
        `${FMC_PRODUCT} already has a dynamic object named ${name} that the relay did not create; choose another name.`,
      );
    }
    objectIds.delete(this.cacheKey(name));
    objectIds.set(this.cacheKey(name), found.id);
    while (objectIds.size > MAX_IDS) objectIds.delete(objectIds.keys().next().value as string);
    return found.id;
  }

  private async find(name: string): Promise<DynamicObject | undefined> {
    for (let offset = 0; offset < 100 * PAGE; offset += PAGE) {
      const res = await this.call(
        'GET',
        (d) =>
          `/api/fmc_config/v1/domain/${d}/object/dynamicobjects?expanded=true&offset=${offset}&limit=${PAGE}`,
      );
      if (res.status !== 200) throw this.fail(res, 'list dynamic objects');
      const page = this.transport.json<{ items?: DynamicObject[]; paging?: { count?: number } }>(res);
      const hit = page.items?.find((o) => o.name === name);
      if (hit) return hit;
      if ((page.items?.length ?? 0) < PAGE || offset + PAGE >= (page.paging?.count ?? 0)) return undefined;
    }
    return undefined;
  }

  private async create(name: string): Promise<DynamicObject> {
    const res = await this.call('POST', (d) => `/api/fmc_config/v1/domain/${d}/object/dynamicobjects`, {
      name,
      type: 'DynamicObject',
      objectType: 'IP',
      description: OUR_DESCRIPTION,
    });
    if (res.status === 201 || res.status === 200) return this.transport.json<DynamicObject>(res);
    // Another relay created it in between: use theirs (ours too, if it carries our description).
    const raced = res.status === 400 ? await this.find(name) : undefined;
    if (raced) return raced;
    throw this.fail(res, `create the dynamic object ${name}`);
  }

  /** Adds or removes mappings of our object; a vanished object is recreated (add) or nothing to do (remove). */
  async mappings(action: 'add' | 'remove', name: string, ips: readonly string[]): Promise<void> {
    if (ips.length === 0) return;
    for (let retry = 0; retry < 2; retry++) {
      const id = await this.objectId(name, action === 'add');
      if (!id) return;
      let gone = false;
      for (let i = 0; i < ips.length && !gone; i += MAX_MAPPINGS_PER_CALL) {
        const chunk = ips.slice(i, i + MAX_MAPPINGS_PER_CALL);
        const res = await this.call(
          'POST',
          (d) => `/api/fmc_config/v1/domain/${d}/object/dynamicobjectmappings`,
          {
            [action]: [{ mappings: chunk, dynamicObject: { id, name, type: 'DynamicObject' } }],
          },
        );
        if (res.status === 404) gone = true;
        else if (res.status < 200 || res.status >= 300)
          throw this.fail(res, `${action} dynamic object mappings`);
      }
      if (!gone) return;
      objectIds.delete(this.cacheKey(name));
    }
    throw new RelayError('state conflict', `${FMC_PRODUCT}'s dynamic object ${name} keeps disappearing.`);
  }

  /** One cheap authenticated call. */
  async health(): Promise<void> {
    const res = await this.call('GET', () => '/api/fmc_platform/v1/info/serverversion');
    if (res.status !== 200) throw this.fail(res, 'answer its version');
  }
}
