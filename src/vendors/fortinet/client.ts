/**
 * FortiOS REST API calls on one FortiGate VDOM, over the shared `Transport`.
 *
 * - The API key travels as `Authorization: Bearer`, never as `access_token`
 *   in the URL (FortiOS accepts both; a URL ends up in proxy and access logs).
 * - Group members are added and removed one by one through the group's
 *   `member` sub-table, never by a PUT of the whole list: a read-modify-write
 *   (VAR's `update_address_group`) loses concurrent changes and drops
 *   members an administrator added in between.
 * - The few FortiOS answers the blocker decides on (exists, in use, gone,
 *   would empty the group) come back as results; everything else becomes a
 *   `RelayError` naming the firewall (`errors.ts`).
 */
import type { RequestContext } from '../../kernel/context.js';
import { Transport, type TransportResponse } from '../../kernel/upstream/transport.js';
import type { Firewall } from './config.js';
import { FOS, fortiError, parseBody } from './errors.js';
import { COMMENT, type HostIp, PREFIX } from './ids.js';

export type Family = 4 | 6;

/** One of our address objects as FortiOS holds it. */
export interface AddressView {
  readonly name: string;
  /** Canonical host address it holds, or undefined when it is not a single host. */
  readonly ip: string | undefined;
  readonly comment: string;
}

const table = (f: Family) => (f === 4 ? 'address' : 'address6');
const groupTable = (f: Family) => (f === 4 ? 'addrgrp' : 'addrgrp6');
const enc = encodeURIComponent;

/** `198.51.100.7 255.255.255.255`, `198.51.100.7/32` or `2001:db8::7/128` → the host address. */
function hostOf(f: Family, o: Record<string, unknown>): string | undefined {
  if (f === 4) {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\s+255\.255\.255\.255|\/32)$/.exec(String(o.subnet ?? '').trim());
    return m?.[1];
  }
  const m = /^([0-9a-fA-F:.]+)\/128$/.exec(String(o.ip6 ?? '').trim());
  return m?.[1]?.toLowerCase();
}

export class FortiOs {
  readonly transport: Transport;

  constructor(
    readonly fw: Firewall,
    ctx: RequestContext,
  ) {
    this.transport = new Transport(
      {
        product: `FortiGate ${fw.key}`,
        urlField: 'fortinet_url',
        baseUrl: fw.url,
        secrets: [fw.apiKey],
        ...(fw.caBundle ? { ca: fw.caBundle } : {}),
      },
      ctx,
    );
  }

  private url(path: string, query: Record<string, string> = {}): string {
    const u = new URL(`${this.fw.url}/api/v2/cmdb/${path}`);
    u.searchParams.set('vdom', this.fw.vdom);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u.toString();
  }

  private send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    opts: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<TransportResponse> {
    return this.transport.send({
      method,
      url: this.url(path, opts.query),
      headers: {
        authorization: `Bearer ${this.fw.apiKey}`,
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      idempotent: method !== 'POST',
    });
  }

  private fail(res: TransportResponse, what: string): never {
    throw fortiError(this.fw.key, res, what);
  }

  /** Our address objects (name prefix) of one family, with their address and comment: one call. */
  async ourAddresses(f: Family): Promise<Map<string, AddressView>> {
    const res = await this.send('GET', `firewall/${table(f)}`, {
      query: { filter: `name=@${PREFIX}`, format: f === 4 ? 'name|subnet|comment' : 'name|ip6|comment' },
    });
    if (res.status !== 200) this.fail(res, `reading the ${table(f)} table`);
    const out = new Map<string, AddressView>();
    for (const o of results(res)) {
      const name = String(o.name ?? '');
      if (name.startsWith(PREFIX))
        out.set(name, { name, ip: hostOf(f, o), comment: String(o.comment ?? '') });
    }
    return out;
  }

  /** Member names of an address group, or undefined when the group does not exist. */
  async groupMembers(f: Family, group: string): Promise<Set<string> | undefined> {
    const res = await this.send('GET', `firewall/${groupTable(f)}/${enc(group)}`, {
      query: { format: 'name|member' },
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200) this.fail(res, `reading address group ${group}`);
    const [g] = results(res);
    const members = Array.isArray(g?.member) ? (g.member as Array<{ name?: unknown }>) : [];
    return new Set(members.map((m) => String(m.name ?? '')));
  }

  /** Names of the address groups of one family (health: one call). */
  async groupNames(f: Family): Promise<Set<string>> {
    const res = await this.send('GET', `firewall/${groupTable(f)}`, { query: { format: 'name' } });
    if (res.status !== 200) this.fail(res, `listing ${groupTable(f)}`);
    return new Set(results(res).map((g) => String(g.name ?? '')));
  }

  async createAddress(f: Family, name: string, h: HostIp | { ip: string }): Promise<'created' | 'exists'> {
    const body =
      f === 4
        ? { name, type: 'ipmask', subnet: `${h.ip} 255.255.255.255`, comment: COMMENT }
        : { name, ip6: `${h.ip}/128`, comment: COMMENT };
    const res = await this.send('POST', `firewall/${table(f)}`, { body });
    if (res.status === 200) return 'created';
    if (parseBody(res).error === FOS.EXISTS) return 'exists';
    this.fail(res, `creating address ${name}`);
  }

  async deleteAddress(f: Family, name: string): Promise<'deleted' | 'gone' | 'in-use'> {
    const res = await this.send('DELETE', `firewall/${table(f)}/${enc(name)}`);
    if (res.status === 200) return 'deleted';
    const code = parseBody(res).error;
    if (res.status === 404 || code === FOS.NOT_FOUND) return 'gone';
    if (code === FOS.IN_USE) return 'in-use';
    this.fail(res, `deleting address ${name}`);
  }

  /** Adds one member through the group's `member` sub-table. */
  async addMember(f: Family, group: string, name: string): Promise<'added' | 'exists'> {
    const res = await this.send('POST', `firewall/${groupTable(f)}/${enc(group)}/member`, { body: { name } });
    if (res.status === 200) return 'added';
    if (parseBody(res).error === FOS.EXISTS) return 'exists';
    this.fail(res, `adding ${name} to address group ${group}`);
  }

  /** Removes one member; `would-empty` when FortiOS refuses to leave the group without members. */
  async removeMember(f: Family, group: string, name: string): Promise<'removed' | 'gone' | 'would-empty'> {
    const res = await this.send('DELETE', `firewall/${groupTable(f)}/${enc(group)}/member/${enc(name)}`);
    if (res.status === 200) return 'removed';
    const code = parseBody(res).error;
    if (res.status === 404 || code === FOS.NOT_FOUND) return 'gone';
    if (code === FOS.EMPTY) return 'would-empty';
    this.fail(res, `removing ${name} from address group ${group}`);
  }
}

function results(res: TransportResponse): Array<Record<string, unknown>> {
  const r = (parseBody(res) as { results?: unknown }).results;
  if (Array.isArray(r))
    return r.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
  return r && typeof r === 'object' ? [r as Record<string, unknown>] : [];
}
