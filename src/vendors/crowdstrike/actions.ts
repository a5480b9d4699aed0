/**
 * VAR's operations on CrowdStrike Falcon: a host block network-contains the
 * one Falcon device matching the Vectra host. Containment is asynchronous
 * (`containment_pending` until the sensor applies it), so a block answers the
 * device id pending until the device reads `contained`; `confirm` says when.
 * Falcon records no requester on a containment, so ours is marked with a
 * device tag (`FalconGroupingTags/vectra-relay-contained`): a device
 * contained without it is someone else's and is never lifted.
 */
import {
  type BlockAnswer,
  type BlockClient,
  type ConfirmAnswer,
  defineBlockClient,
  type PendingElement,
} from '../../kernel/block-client.js';
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import { withKeyLock } from '../../kernel/keyed-lock.js';
import type { VectraHost } from '../../kernel/model.js';
import { exactlyOne, hostIp, hostNames, sameName } from '../edr/match.js';
import { ActionRefused, type Device, FalconApi, fqlString } from './client.js';
import { CLIENT_NAME, type CrowdStrikeConfig, MODULE, PRODUCT } from './config.js';

export const CAPABILITIES = ['host'] as const;
/** Our mark on a device we contained (Falcon's tag rules: letters, digits, `-`, `_`, `/`). */
export const OUR_TAG = 'FalconGroupingTags/vectra-relay-contained';

const hex = (mac: string) => mac.toLowerCase().replace(/[^0-9a-f]/g, '');
const ours = (d: Device) => d.tags.includes(OUR_TAG);
const label = (d: Device) => d.hostname ?? d.deviceId;
const pendingOf = (d: Device): PendingElement => ({
  id: d.deviceId,
  what: `${PRODUCT} network containment of ${label(d)} (containment_pending until the sensor applies it)`,
});

/** The one device with the host's IP and name (and MAC, when both sides know one). */
export async function findDevice(api: FalconApi, host: VectraHost): Promise<Device> {
  const ip = hostIp(host, PRODUCT);
  const names = hostNames(host);
  const macs = host.macAddresses.map(hex);
  const filter = `local_ip:${fqlString(ip)}`;
  const byIp = await api.devices(await api.queryDevices(filter));
  const matches = byIp.filter(
    (d) =>
      d.localIp === ip &&
      sameName(d.hostname, names) &&
      (macs.length === 0 || !d.macAddress || macs.includes(hex(d.macAddress))),
  );
  return exactlyOne(PRODUCT, host, matches, {
    tried: `FQL ${filter}, hostname ${names.join(' or ')}${macs.length ? `, MAC ${host.macAddresses.join(' or ')}` : ''}; ${byIp.length} device(s) with that IP`,
    describe: (d) =>
      `${label(d)} (device ${d.deviceId}, ${d.platformName ?? '?'}, last seen ${d.lastSeen ?? 'never'})`,
  });
}

/** The block answer for a device's current state, or undefined when it is free to contain. */
function answerFor(host: VectraHost, d: Device): BlockAnswer | undefined {
  if (d.status === 'normal') return undefined;
  if (d.status === 'lift_containment_pending') {
    throw new RelayError(
      'state conflict',
      `${PRODUCT} is still lifting the containment of ${label(d)}; try again when it completes.`,
    );
  }
  if (!ours(d)) {
    throw new RelayError(
      'state conflict',
      `${PRODUCT} device ${label(d)} of Vectra host ${host.name} is ${d.status} by someone else (no ${OUR_TAG} tag); the relay leaves it as it is.`,
    );
  }
  if (d.status === 'contained') return { inForce: [d.deviceId], pending: [] };
  if (d.status === 'containment_pending') return { inForce: [], pending: [pendingOf(d)] };
  throw new RelayError(
    'unknown',
    `Unexpected response from ${PRODUCT}: device status ${d.status.slice(0, 40)}.`,
  );
}

async function reread(api: FalconApi, id: string): Promise<Device> {
  const [d] = await api.devices([id]);
  if (!d) throw new RelayError('not found', `${PRODUCT} device ${id} no longer exists.`);
  return d;
}

async function contain(api: FalconApi, host: VectraHost): Promise<BlockAnswer> {
  const found = await findDevice(api, host);
  return withKeyLock(`${MODULE}:${found.deviceId}`, async (waited) => {
    // After waiting for another block of this device, its state has changed: read it again.
    const d = waited ? await reread(api, found.deviceId) : found;
    const now = answerFor(host, d);
    if (now) return now;
    // Mark first: a containment that exists is then always recognisably ours.
    await api.tag('add', d.deviceId, OUR_TAG);
    try {
      await api.hostAction('contain', d.deviceId);
    } catch (err) {
      if (!(err instanceof ActionRefused)) {
        // Do not leave our mark on a device we did not contain (best effort).
        await api.tag('remove', d.deviceId, OUR_TAG).catch(() => undefined);
        throw err;
      }
      // Refused for the device's state: another instance got there first, or not.
      const after = answerFor(host, await reread(api, d.deviceId));
      if (after) return after;
      throw new RelayError(
        'state conflict',
        `${PRODUCT} refused to contain ${label(d)}, which still reads normal.`,
      );
    }
    // 202: the sensor applies it when it next checks in.
    return { inForce: [], pending: [pendingOf(d)] };
  });
}

async function lift(api: FalconApi, deviceId: string, ctx: RequestContext): Promise<void> {
  await withKeyLock(`${MODULE}:${deviceId}`, async () => {
    const [d] = await api.devices([deviceId]);
    if (!d) return; // the device is gone: nothing of ours is left
    if (!ours(d)) {
      if (d.status !== 'normal') ctx.log.warn('falcon containment not ours, left in place', { deviceId });
      return;
    }
    if (d.status === 'containment_pending') {
      throw new RelayError(
        'state conflict',
        `${PRODUCT} is still applying the containment of ${label(d)}; it can be lifted once it reads contained.`,
      );
    }
    if (d.status === 'contained') {
      try {
        await api.hostAction('lift_containment', deviceId);
      } catch (err) {
        if (!(err instanceof ActionRefused)) throw err;
        const again = await reread(api, deviceId);
        if (again.status !== 'lift_containment_pending' && again.status !== 'normal') throw err;
      }
    }
    await api.tag('remove', deviceId, OUR_TAG);
  });
}

async function confirm(api: FalconApi, pendingIds: readonly string[]): Promise<ConfirmAnswer> {
  const devices = new Map((await api.devices(pendingIds)).map((d) => [d.deviceId, d]));
  const inForce: string[] = [];
  const pending: PendingElement[] = [];
  const failed: { id: string; reason: string }[] = [];
  for (const id of pendingIds) {
    const d = devices.get(id);
    if (!d) failed.push({ id, reason: `${PRODUCT} device ${id} no longer exists` });
    else if (d.status === 'contained' && ours(d)) inForce.push(id);
    else if (d.status === 'containment_pending' && ours(d)) pending.push(pendingOf(d));
    else
      failed.push({
        id,
        reason: `${PRODUCT} device ${label(d)} reads ${d.status}${ours(d) ? '' : ' without our tag'}`,
      });
  }
  return { inForce, pending, failed };
}

export function createFalconClient(cfg: CrowdStrikeConfig, ctx: RequestContext): BlockClient {
  const api = new FalconApi(cfg, ctx);
  return defineBlockClient(
    { module: MODULE, name: CLIENT_NAME, capabilities: CAPABILITIES },
    {
      blockHost: (host) => contain(api, host),
      unblockHost: async (host) => {
        const ids = [
          ...new Set([
            ...(host.blockedElements[CLIENT_NAME] ?? []),
            ...(host.pendingElements[CLIENT_NAME] ?? []),
          ]),
        ];
        for (const id of ids) await lift(api, id, ctx);
        return ids;
      },
      confirm: (_target, pendingIds) => confirm(api, pendingIds),
      health: () => api.health(),
    },
  );
}
