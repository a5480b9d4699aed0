/**
 * The fake Falcon tenant's state: devices with their containment status,
 * tags and the asynchronous containment jobs (`containment_pending` until the
 * sensor checks in, after `jobMs` or `settle()`), plus the FQL subset the
 * Hosts API takes. See README.md for the source of each rule.
 */
import { createHash } from 'node:crypto';

export class FalconFault extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Status = 'normal' | 'containment_pending' | 'contained' | 'lift_containment_pending';

export interface FakeDevice {
  device_id: string;
  cid: string;
  hostname: string;
  local_ip: string;
  external_ip: string;
  mac_address: string;
  platform_name: 'Windows' | 'Mac' | 'Linux';
  os_version: string;
  status: Status;
  last_seen: string;
  tags: string[];
  /** An offline sensor never applies a pending containment change. */
  online: boolean;
  /** Epoch ms at which a pending change completes. */
  dueAt: number;
}

export const FAKE_CID = '0123456789abcdef0123456789abcdef';
export const deviceIdFor = (name: string): string =>
  createHash('md5').update(`fake-falcon:${name}`).digest('hex');

export function makeDevice(over: Partial<FakeDevice> & { hostname: string; local_ip: string }): FakeDevice {
  return {
    device_id: deviceIdFor(over.hostname),
    cid: FAKE_CID,
    external_ip: '203.0.113.200',
    mac_address: '00-50-56-00-00-01',
    platform_name: 'Windows',
    os_version: 'Windows 11',
    status: 'normal',
    last_seen: new Date().toISOString(),
    tags: [],
    online: true,
    dueAt: 0,
    ...over,
  };
}

/** Fields the devices query filters on (Falcon's "Hosts" FQL filter list, the ones modelled). */
const FQL_FIELDS = new Set([
  'device_id',
  'hostname',
  'local_ip',
  'external_ip',
  'mac_address',
  'platform_name',
  'status',
  'tags',
  'os_version',
  'last_seen',
]);
const TAG = /^FalconGroupingTags\/[A-Za-z0-9_\-/]{1,240}$/;
export const ACTION_NAMES = [
  'contain',
  'lift_containment',
  'hide_host',
  'unhide_host',
  'detection_suppress',
  'detection_unsuppress',
];

/**
 * `field:'value'` terms joined by `+` (AND); `*` is a wildcard; string
 * comparison ignores case. Anything else is refused as Falcon refuses a bad filter.
 */
export function parseFql(raw: string): (d: FakeDevice) => boolean {
  const terms = raw.split('+').map((t) => {
    const m = /^\s*(\w+):(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*$/.exec(t);
    if (!m) throw new FalconFault(400, `Invalid filter: ${raw.slice(0, 80)}`);
    const field = m[1] ?? '';
    if (!FQL_FIELDS.has(field)) throw new FalconFault(400, `Invalid filter: unknown field ${field}`);
    const value = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
    const re = new RegExp(`^${value.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
    return { field, re };
  });
  return (d) =>
    terms.every(({ field, re }) => {
      const v = (d as unknown as Record<string, unknown>)[field];
      return Array.isArray(v) ? v.some((x) => re.test(String(x))) : re.test(String(v ?? ''));
    });
}

export class FalconStore {
  readonly devices = new Map<string, FakeDevice>();

  constructor(public jobMs: number) {}

  add(d: FakeDevice): FakeDevice {
    this.devices.set(d.device_id, d);
    return d;
  }

  device(id: string): FakeDevice {
    const d = this.devices.get(id);
    if (!d) throw new FalconFault(404, `Device ${id} not found`);
    return d;
  }

  /** Completes due containment changes of online sensors (all of them with `force`). */
  tick(now = Date.now(), force = false): void {
    for (const d of this.devices.values()) {
      if (!d.online || (!force && d.dueAt > now)) continue;
      if (d.status === 'containment_pending') d.status = 'contained';
      if (d.status === 'lift_containment_pending') d.status = 'normal';
    }
  }

  /** A host action on some devices; containment changes start pending. */
  act(action: string, ids: unknown): string[] {
    if (!ACTION_NAMES.includes(action))
      throw new FalconFault(400, `Invalid action_name ${action.slice(0, 40)}`);
    if (!Array.isArray(ids) || ids.length === 0) throw new FalconFault(400, 'ids is required');
    if (ids.length > 100) throw new FalconFault(400, 'A maximum of 100 ids can be submitted');
    const devices = ids.map((id) => this.device(String(id)));
    // Undocumented (README.md, "Unknown"): the exact answer for containing a device that is not `normal`
    // (or lifting one that is not `contained`). The fake refuses with 409.
    const from = action === 'contain' ? 'normal' : action === 'lift_containment' ? 'contained' : undefined;
    for (const d of devices) {
      if (from && d.status !== from) throw new FalconFault(409, `Device ${d.device_id} is ${d.status}`);
    }
    for (const d of devices) {
      if (action === 'contain') d.status = 'containment_pending';
      if (action === 'lift_containment') d.status = 'lift_containment_pending';
      if (from) d.dueAt = Date.now() + this.jobMs;
    }
    return devices.map((d) => d.device_id);
  }

  tag(body: Record<string, unknown>): { device_id: string; code: number; updated: boolean }[] {
    const { action, device_ids: ids, tags } = body;
    if (action !== 'add' && action !== 'remove') throw new FalconFault(400, 'action must be add or remove');
    if (!Array.isArray(ids) || ids.length === 0 || !Array.isArray(tags) || tags.length === 0) {
      throw new FalconFault(400, 'device_ids and tags are required');
    }
    for (const t of tags)
      if (typeof t !== 'string' || !TAG.test(t))
        throw new FalconFault(400, `Invalid tag ${String(t).slice(0, 60)}`);
    return ids.map((id) => {
      const d = this.device(String(id));
      const before = d.tags.length;
      d.tags =
        action === 'add'
          ? [...new Set([...d.tags, ...(tags as string[])])]
          : d.tags.filter((t) => !tags.includes(t));
      return { device_id: d.device_id, code: 200, updated: d.tags.length !== before };
    });
  }
}
