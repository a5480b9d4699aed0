/**
 * Names and element ids of the `fortinet` client.
 *
 * - Address objects: `vectra-relay-<ip>` (IPv6 with `:` → `_`), plus our
 *   comment, so that an object is ours only when both match.
 * - Element ids: `<host[:port]>/<vdom>/<src|dst>/<ip>`: one per firewall,
 *   VDOM, group side and address, so an unblock releases exactly the
 *   memberships its block made, on the firewalls it made them on.
 */
import { type Cidr, parseCidr } from '../../kernel/cidr.js';
import type { Side } from './config.js';

export const PREFIX = 'vectra-relay-';
/** Our comment on every object we create (FortiOS `comment`, up to 255 characters). */
export const COMMENT = 'Created by the Vectra XDR relay for blocking; removed by it on unblock. Do not edit.';
/** Member that keeps a group from ever being empty: an address no traffic uses. */
export const PLACEHOLDER = { 4: `${PREFIX}placeholder`, 6: `${PREFIX}placeholder6` } as const;
export const PLACEHOLDER_ADDRESS = { 4: '0.0.0.0', 6: '::' } as const;

/** A host address (/32 or /128) as we block it: canonical text and family. */
export interface HostIp {
  readonly ip: string;
  readonly family: 4 | 6;
}

/** Single addresses only: a FortiGate deny of a range is an administrator's decision, not ours. */
export function hostIp(input: string): HostIp | undefined {
  const c: Cidr | undefined = parseCidr(input);
  if (!c || c.prefix !== (c.family === 4 ? 32 : 128)) return undefined;
  return { ip: c.text.slice(0, c.text.indexOf('/')), family: c.family };
}

export const objectName = (h: HostIp): string => `${PREFIX}${h.ip.replaceAll(':', '_')}`;

export interface ElementRef {
  /** `host[:port]/vdom`, matched against the configured firewalls. */
  readonly firewall: string;
  readonly side: Side;
  readonly host: HostIp;
}

export const elementId = (firewall: string, side: Side, h: HostIp): string => `${firewall}/${side}/${h.ip}`;

/** Parses an id of ours; undefined for anything else (never acted on). */
export function parseElementId(id: string): ElementRef | undefined {
  const m = /^([^/]+\/[A-Za-z0-9_-]{1,31})\/(src|dst)\/([^/]+)$/.exec(id);
  const host = m ? hostIp(m[3] as string) : undefined;
  if (!m || !host || host.ip !== m[3]) return undefined;
  return { firewall: m[1] as string, side: m[2] as Side, host };
}
