/**
 * Which Carbon Black device is this Vectra host? The device search by the
 * host's IP, then an exact re-check of IP and name (the bar's EDR matching
 * rule): exactly one live device must match. Several → `state conflict`
 * listing them, nothing quarantined; none → `not found` naming what was tried.
 */
import { RelayError } from '../../kernel/errors.js';
import type { VectraHost } from '../../kernel/model.js';
import { type CbApi, type Device, GONE_STATUSES } from './client.js';
import { PRODUCT } from './config.js';

/** `CORP\WKS-042.corp.example` → `wks-042`: the comparable short host name. */
export function shortName(name: string): string {
  const noDomain = name.includes('\\') ? name.slice(name.lastIndexOf('\\') + 1) : name;
  return (noDomain.split('.')[0] ?? '').trim().toLowerCase();
}

/** The host's names worth comparing: its Vectra name and its best full name. */
const hostNames = (host: VectraHost): Set<string> =>
  new Set([host.name, host.fullName].filter(Boolean).map(shortName).filter(Boolean));

const describe = (d: Device) => `${d.id} (${d.name ?? 'unnamed'})`;

/** The one device matching `host`, or an error saying why there is none. */
export async function findDevice(api: CbApi, host: VectraHost): Promise<Device> {
  if (!host.ip) {
    throw new RelayError(
      'not found',
      `${PRODUCT}: host ${host.name} has no current IP to look its device up by.`,
    );
  }
  const { devices, total } = await api.devicesAtIp(host.ip);
  const live = devices.filter(
    (d) => d.last_internal_ip_address === host.ip && !GONE_STATUSES.has((d.status ?? '').toUpperCase()),
  );
  const names = hostNames(host);
  const matches = live.filter((d) => d.name && names.has(shortName(d.name)));
  if (total > devices.length) {
    throw new RelayError(
      'state conflict',
      `${PRODUCT}: ${total} devices report IP ${host.ip}, more than the ${devices.length} checked for host ${host.name}. Nothing was quarantined.`,
    );
  }
  if (matches.length === 1) return matches[0] as Device;
  if (matches.length > 1) {
    throw new RelayError(
      'state conflict',
      `${PRODUCT}: ${matches.length} devices match host ${host.name} (${host.ip}): ${matches.map(describe).join(', ')}. Nothing was quarantined; quarantine the right one in the console.`,
    );
  }
  const others = live.length > 0 ? ` (${live.length} device(s) at that IP have another name)` : '';
  throw new RelayError(
    'not found',
    `${PRODUCT}: no device named ${[...names].join(' or ')} with internal IP ${host.ip}${others}.`,
  );
}
