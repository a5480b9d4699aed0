/**
 * Names and element ids of the `fortimanager` client.
 *
 * - ADOM objects: `vectra-relay-<ip>` (IPv6: `:` → `_`) with our comment.
 * - Element ids in force: `<adom>/<src|dst>/<ip>`.
 * - Pending ids: `<adom>/<src|dst>/<ip>#<task>[+]`: the install task that
 *   puts the element in force, and `+` when that block added the member
 *   (so a failed install rolls back only what that block wrote).
 */
import { hostIp } from '../fortinet/ids.js';
import type { Side } from './config.js';

export {
  COMMENT,
  type HostIp,
  hostIp,
  objectName,
  PLACEHOLDER,
  PLACEHOLDER_ADDRESS,
  PREFIX,
} from '../fortinet/ids.js';

export interface ElementRef {
  readonly adom: string;
  readonly side: Side;
  readonly ip: string;
  readonly family: 4 | 6;
  /** Only on pending ids. */
  readonly task?: number;
  readonly wrote?: boolean;
}

export const elementId = (adom: string, side: Side, ip: string): string => `${adom}/${side}/${ip}`;
export const pendingId = (el: string, task: number, wrote: boolean): string =>
  `${el}#${task}${wrote ? '+' : ''}`;

export function parseElementId(id: string): ElementRef | undefined {
  const m = /^([A-Za-z0-9_.-]{1,35})\/(src|dst)\/([^/#]+)(?:#(\d{1,12})(\+)?)?$/.exec(id);
  const h = m ? hostIp(m[3] as string) : undefined;
  if (!m || !h || h.ip !== m[3]) return undefined;
  return {
    adom: m[1] as string,
    side: m[2] as Side,
    ip: h.ip,
    family: h.family,
    ...(m[4] ? { task: Number(m[4]), wrote: m[5] === '+' } : {}),
  };
}

/** The in-force id of an element id (pending suffix dropped). */
export const baseId = (id: string): string => id.replace(/#\d+\+?$/, '');
