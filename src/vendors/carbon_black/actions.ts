/**
 * VAR's operations on Carbon Black Cloud: a host block is the quarantine of its
 * one matching device. Element ids:
 *
 * - `device-<id>`: a quarantine we asked for. Pending until the device reads
 *   `quarantined: true` (the sensor applies it at its next check-in); lifted on unblock.
 * - `device-<id>-found-quarantined`: the device was already quarantined when we
 *   came, by someone else. Recorded as in force so the host reads blocked, but
 *   never lifted by us: its unblock releases only the record.
 */
import {
  type BlockAnswer,
  type BlockTarget,
  type ConfirmAnswer,
  defineBlockClient,
  type PendingElement,
} from '../../kernel/block-client.js';
import type { RequestContext } from '../../kernel/context.js';
import type { VectraHost } from '../../kernel/model.js';
import { CbApi, type Device, GONE_STATUSES } from './client.js';
import { type CbConfig, CLIENT_NAME, MODULE, PRODUCT } from './config.js';
import { findDevice } from './devices.js';

export const CAPABILITIES = ['host'] as const;

const FOUND = '-found-quarantined';

export const elementId = (deviceId: number, found = false): string =>
  `device-${deviceId}${found ? FOUND : ''}`;

/** `device-12` → `{ deviceId: 12, found: false }`; anything else → undefined. */
export function parseElementId(id: string): { deviceId: number; found: boolean } | undefined {
  const m = /^device-(\d{1,15})(-found-quarantined)?$/.exec(id);
  return m ? { deviceId: Number(m[1]), found: m[2] !== undefined } : undefined;
}

const pendingOf = (d: Device): PendingElement => ({
  id: elementId(d.id),
  what: `${PRODUCT} quarantine of device ${d.id} (${d.name ?? 'unnamed'}), in force when the sensor checks in and the device reads quarantined`,
});

/** Every element this client holds on the object, blocked or pending. */
const held = (o: Pick<VectraHost, 'blockedElements' | 'pendingElements'>): string[] => [
  ...new Set([...(o.blockedElements[CLIENT_NAME] ?? []), ...(o.pendingElements[CLIENT_NAME] ?? [])]),
];

export async function blockHost(api: CbApi, host: VectraHost): Promise<BlockAnswer> {
  const device = await findDevice(api, host);
  if (device.quarantined) {
    const ours = elementId(device.id);
    // Ours when our own element is on record; otherwise someone else quarantined it.
    return { inForce: [held(host).includes(ours) ? ours : elementId(device.id, true)], pending: [] };
  }
  // Asking again while an earlier request is still pending is harmless: the toggle is a state, not a count.
  await api.quarantine([device.id], true);
  api.ctx.log.info('carbon black quarantine requested', { deviceId: device.id, host: host.id });
  return { inForce: [], pending: [pendingOf(device)] };
}

/** Lifts our quarantines (one action call for all of them) and releases found-quarantined records untouched. */
export async function unblockHost(api: CbApi, host: VectraHost): Promise<string[]> {
  const ids = held(host).filter((id) => parseElementId(id) !== undefined);
  const ours = ids.flatMap((id) => {
    const p = parseElementId(id);
    return p && !p.found ? [p.deviceId] : [];
  });
  const existing = await Promise.all(ours.map((id) => api.device(id)));
  // A device that no longer exists has nothing left to lift: success.
  const toLift = existing.flatMap((d) =>
    d && !GONE_STATUSES.has((d.status ?? '').toUpperCase()) ? [d.id] : [],
  );
  await api.quarantine(toLift, false);
  if (toLift.length > 0)
    api.ctx.log.info('carbon black quarantine lifted', { deviceIds: toLift, host: host.id });
  return ids;
}

export async function confirm(
  api: CbApi,
  _target: BlockTarget,
  pendingIds: readonly string[],
): Promise<ConfirmAnswer> {
  const inForce: string[] = [];
  const pending: PendingElement[] = [];
  const failed: { id: string; reason: string }[] = [];
  for (const id of pendingIds) {
    const p = parseElementId(id);
    if (!p) {
      failed.push({ id, reason: `not a ${PRODUCT} element id` });
      continue;
    }
    if (p.found) {
      inForce.push(id);
      continue;
    }
    const d = await api.device(p.deviceId);
    if (!d || GONE_STATUSES.has((d.status ?? '').toUpperCase())) {
      failed.push({ id, reason: `${PRODUCT} device ${p.deviceId} no longer exists` });
    } else if (d.quarantined) {
      inForce.push(id);
    } else {
      pending.push(pendingOf(d));
    }
  }
  return { inForce, pending, failed };
}

export function createCarbonBlackClient(cfg: CbConfig, ctx: RequestContext) {
  const api = new CbApi(cfg, ctx);
  return defineBlockClient(
    { module: MODULE, name: CLIENT_NAME, capabilities: CAPABILITIES },
    {
      blockHost: (host) => blockHost(api, host),
      unblockHost: (host) => unblockHost(api, host),
      confirm: (target, ids) => confirm(api, target, ids),
      health: () => api.health(),
    },
  );
}
