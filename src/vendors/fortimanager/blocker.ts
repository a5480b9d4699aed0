/**
 * One change to the ADOM database and the install that pushes it, per batch.
 *
 * Inside one session (or with the API key): if the ADOM is in workspace mode,
 * lock it (an administrator's lock is a `state conflict` naming them, never
 * broken), apply the change, commit, start the install, unlock; without
 * workspace mode, apply and install. The install is one task for the whole
 * batch, never one per address.
 */
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import { type AddressView, type Family, FmgObjects, type TaskView } from './client.js';
import { type FortiManagerConfig, PRODUCT, type Side } from './config.js';
import { COMMENT, type HostIp, objectName, PLACEHOLDER, PLACEHOLDER_ADDRESS } from './ids.js';
import { FmgRpc } from './rpc.js';

const isOurs = (v: AddressView | undefined, ip: string): boolean => v?.comment === COMMENT && v.ip === ip;

function foreign(name: string, ip: string): RelayError {
  return new RelayError(
    'state conflict',
    `${PRODUCT}: an address named ${name} exists but was not created by the relay for ${ip}; it was left unchanged.`,
  );
}

/** A session and the ADOM objects for one operation (sessions are never shared between operations). */
export function open(cfg: FortiManagerConfig, ctx: RequestContext): FmgObjects {
  return new FmgObjects(new FmgRpc(cfg, ctx), cfg);
}

export interface Applied<T> {
  readonly result: T;
  /** The install task, when one was started. */
  readonly task?: number;
}

/**
 * Runs `change` under the ADOM's workspace lock when it has one; installs
 * when `install(result)` says so. The lock is always released (before any
 * wait for the install); a change that fails before its commit is discarded
 * with the lock. Call inside `rpc.withSession`.
 */
export async function applyAndInstall<T>(
  objs: FmgObjects,
  change: () => Promise<T>,
  install: (result: T) => boolean | Promise<boolean>,
): Promise<Applied<T>> {
  const h = await objs.lockHolder();
  if (h.mode === 'held') throw objs.lockedBy(h.user);
  const workspace = h.mode === 'free';
  if (workspace) await objs.lock();
  try {
    const result = await change();
    if (workspace) await objs.commit();
    if (!(await install(result))) return { result };
    return { result, task: await objs.install() };
  } finally {
    if (workspace) await objs.unlock();
  }
}

/** Our object `name` for `ip` exists and is a member of `group`; true when this call added the member. */
async function ensureMember(
  objs: FmgObjects,
  f: Family,
  group: string,
  name: string,
  ip: string,
  ours: Map<string, AddressView>,
  members: Set<string>,
): Promise<boolean> {
  const seen = ours.get(name);
  if (seen) {
    if (!isOurs(seen, ip)) throw foreign(name, ip);
  } else if ((await objs.createAddress(f, name, ip)) === 'exists') {
    if (!isOurs((await objs.ourAddresses(f)).get(name), ip)) throw foreign(name, ip);
  }
  if (members.has(name)) return false;
  await objs.addMember(f, group, name);
  return true;
}

export interface Added {
  /** Ips whose member this call added (a failed install rolls back only those). */
  readonly added: Set<string>;
  /** Ips refused for good (an object by our name that is not ours): never part of the answer. */
  readonly refused: Map<string, RelayError>;
}

/** Adds the hosts to the side's group. */
export async function addHosts(
  objs: FmgObjects,
  cfg: FortiManagerConfig,
  side: Side,
  hosts: readonly HostIp[],
): Promise<Added> {
  const out: Added = { added: new Set(), refused: new Map() };
  for (const f of [4, 6] as const) {
    const mine = hosts.filter((h) => h.family === f);
    if (mine.length === 0) continue;
    const group = cfg.groups[side];
    const [members, ours] = await Promise.all([objs.groupMembers(f, group), objs.ourAddresses(f)]);
    if (!members.has(PLACEHOLDER[f])) {
      await ensureMember(objs, f, group, PLACEHOLDER[f], PLACEHOLDER_ADDRESS[f], ours, members);
    }
    await Promise.all(
      mine.map(async (h) => {
        const name = objectName(h);
        if (ours.has(name) && !isOurs(ours.get(name), h.ip)) {
          out.refused.set(h.ip, foreign(name, h.ip));
          return;
        }
        if (await ensureMember(objs, f, group, name, h.ip, ours, members)) out.added.add(h.ip);
      }),
    );
  }
  return out;
}

/** Removes the hosts from the side's group and deletes our objects no group uses any more. */
export async function removeHosts(
  objs: FmgObjects,
  cfg: FortiManagerConfig,
  side: Side,
  hosts: readonly HostIp[],
): Promise<void> {
  for (const f of [4, 6] as const) {
    const mine = hosts.filter((h) => h.family === f);
    if (mine.length === 0) continue;
    const group = cfg.groups[side];
    const members = await objs.groupMembers(f, group);
    const ours = await objs.ourAddresses(f);
    for (const h of mine) {
      const name = objectName(h);
      if (!members.has(name)) continue;
      if ((await objs.removeMember(f, group, name)) === 'refused') {
        // Only ours would be left: restore our placeholder first (removed by hand), then retry once.
        await ensureMember(objs, f, group, PLACEHOLDER[f], PLACEHOLDER_ADDRESS[f], ours, members);
        if ((await objs.removeMember(f, group, name)) === 'refused') {
          throw new RelayError(
            'state conflict',
            `${PRODUCT} refused to remove ${name} from address group ${group}.`,
          );
        }
      }
    }
    for (const h of mine) {
      const name = objectName(h);
      // Kept while the other group still uses it (FortiManager refuses the delete).
      if (isOurs(ours.get(name), h.ip)) await objs.deleteAddress(f, name);
    }
  }
}

/** Polls a task until it ends, `maxMs` passes, or the request's deadline nears (250 ms, 500 ms, then every second). */
export async function waitForTask(
  objs: FmgObjects,
  task: number,
  ctx: RequestContext,
  maxMs: number,
): Promise<TaskView> {
  // Leaves the caller time to record the result in Vectra before the deadline.
  const until = Math.min(Date.now() + maxMs, ctx.deadline - 4000);
  for (let delay = 250; ; delay = Math.min(delay * 2, 1000)) {
    const t = await objs.task(task);
    if (t.done || Date.now() + delay > until) return t;
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** A task's state; a task FortiManager no longer knows (purged, restored) counts as failed. */
export async function readTask(objs: FmgObjects, task: number): Promise<TaskView> {
  try {
    return await objs.task(task);
  } catch (err) {
    if (err instanceof RelayError && err.code === 'not found') {
      return { done: true, ok: false, reason: `${PRODUCT} no longer knows install task ${task}` };
    }
    throw err;
  }
}
