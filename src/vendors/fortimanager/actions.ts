/**
 * VAR's operations for the `fortimanager` client.
 *
 * A block adds our address objects to the ADOM group and installs the
 * policy package; the elements are pending (`<element>#<task>`) until the
 * install task succeeds, and `confirm` reads the task: done → in force,
 * running → still pending, failed → failed, after rolling back the members
 * that block itself added (so no later install enforces an unrecorded block).
 * Blocking what is recorded (in force or pending) changes nothing and starts
 * no install. Unblocks and static lists wait for their install, within the
 * request's deadline.
 */
import {
  type BlockClient,
  type BlockResult,
  type BlockTarget,
  type ConfirmAnswer,
  defineBlockClient,
  type StaticElement,
} from '../../kernel/block-client.js';
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import type { BlockedElements } from '../../kernel/model.js';
import { addHosts, applyAndInstall, open, readTask, removeHosts, waitForTask } from './blocker.js';
import type { FmgObjects, TaskView } from './client.js';
import { CLIENT_NAME, type FortiManagerConfig, MODULE, PRODUCT, type Side } from './config.js';
import { baseId, elementId, type HostIp, hostIp, parseElementId, pendingId } from './ids.js';

export const CAPABILITIES = ['host', 'detection', 'static-ips', 'groom'] as const;
/**
 * How long an unblock waits for its install: long enough to report an install
 * refused at once (a device FortiManager cannot reach), short enough not to
 * hold the request; the ADOM database no longer holds the block, so any later
 * install of the package removes it from the devices anyway.
 */
export const UNBLOCK_WAIT_MS = 2_000;
/** Static lists have no pending state: their block waits for the install (within the deadline). */
export const STATIC_WAIT_MS = 60_000;

/** The record a block or confirm is for (left out when asking who else holds an element). */
interface Owner {
  readonly kind: 'host' | 'account' | 'detection';
  readonly id: number;
}

interface Recorded {
  readonly blockedElements: BlockedElements;
  /** Optional: records written before pending existed have none. */
  readonly pendingElements?: BlockedElements;
}

const stillRunning = (task: number, pkg: string) => `${PRODUCT} install task ${task} of package ${pkg}`;

export function createFortiManagerClient(
  cfg: FortiManagerConfig,
  ctx: RequestContext,
  opts: { unblockWaitMs?: number; staticWaitMs?: number } = {},
): BlockClient {
  const unblockWaitMs = opts.unblockWaitMs ?? UNBLOCK_WAIT_MS;
  const staticWaitMs = opts.staticWaitMs ?? STATIC_WAIT_MS;

  const hosts = (inputs: readonly string[]): HostIp[] => {
    const out: HostIp[] = [];
    for (const raw of new Set(inputs)) {
      const h = hostIp(raw);
      if (h && !out.some((x) => x.ip === h.ip)) out.push(h);
      else if (!h)
        ctx.log.warn('FortiManager: not a single IP address, skipped', { input: raw.slice(0, 80) });
    }
    return out;
  };

  /** Rolls back members a failed install's block added, and installs that (not waited for). */
  const rollback = async (
    objs: FmgObjects,
    side: Side,
    all: readonly HostIp[],
    target?: Recorded & Owner,
  ) => {
    try {
      // A member another record has meanwhile come to hold in force stays (the core's guard).
      const hs: HostIp[] = [];
      for (const h of all) {
        const id = elementId(cfg.adom, side, h.ip);
        const except = target ? { kind: target.kind, id: target.id } : undefined;
        const owners = ctx.guard ? await ctx.guard.holders(CLIENT_NAME, id, h.ip, except) : [];
        if (owners.length === 0) hs.push(h);
      }
      if (hs.length === 0) return;
      await applyAndInstall(
        objs,
        () => removeHosts(objs, cfg, side, hs),
        () => true,
      );
    } catch (err) {
      ctx.log.warn('FortiManager rollback failed', {
        reason: err instanceof Error ? err.message : 'unknown',
      });
    }
  };

  const block = async (side: Side, inputs: readonly string[], o: Recorded & Owner): Promise<BlockResult> => {
    const hs = hosts(inputs);
    if (hs.length === 0) return [];
    const blocked = new Set(o.blockedElements?.[CLIENT_NAME] ?? []);
    const recordedPending = o.pendingElements?.[CLIENT_NAME] ?? [];
    const pendingOf = (id: string) => recordedPending.find((p) => baseId(p) === id);
    const idOf = (h: HostIp) => elementId(cfg.adom, side, h.ip);
    const objs = open(cfg, ctx);
    return objs.rpc.withSession(async () => {
      // Where each recorded element stands. A pending one is looked up at its task (once per
      // task): the record may be older than the task's end.
      const tasks = new Map<number, Promise<TaskView>>();
      const standing = new Map<string, 'in force' | 'running' | 'needs install'>();
      const look = async (id: string) => {
        if (blocked.has(id)) return 'in force';
        const task = parseElementId(pendingOf(id) ?? '')?.task;
        if (task === undefined) return 'needs install';
        if (!tasks.has(task)) tasks.set(task, readTask(objs, task));
        const t = await (tasks.get(task) as Promise<TaskView>);
        return t.done ? (t.ok ? 'in force' : 'needs install') : 'running';
      };
      const { result, task } = await applyAndInstall(
        objs,
        () => addHosts(objs, cfg, side, hs),
        async (r) => {
          for (const h of hs) if (!r.refused.has(h.ip)) standing.set(idOf(h), await look(idOf(h)));
          // Nothing added and everything in force or on its way: no new install.
          return r.added.size > 0 || [...standing.values()].includes('needs install');
        },
      );
      for (const e of result.refused.values())
        ctx.log.warn('FortiManager address refused', { detail: e.message });
      const ok = hs.filter((h) => !result.refused.has(h.ip));
      if (ok.length === 0) throw [...result.refused.values()][0] as RelayError;
      const fresh = ok.filter((h) => result.added.has(h.ip) || standing.get(idOf(h)) === 'needs install');
      const settled = ok.filter((h) => !fresh.includes(h) && standing.get(idOf(h)) === 'in force').map(idOf);
      const running = ok
        .filter((h) => !fresh.includes(h) && standing.get(idOf(h)) === 'running')
        .map((h) => pendingOf(idOf(h)) as string)
        .map((p) => ({ id: p, what: stillRunning(parseElementId(p)?.task ?? 0, cfg.pkg) }));
      if (task === undefined) return { inForce: settled, pending: running };
      const t = await objs.task(task);
      if (t.done && !t.ok) {
        await rollback(
          objs,
          side,
          fresh.filter((h) => result.added.has(h.ip)),
          o,
        );
        throw new RelayError('service unavailable', `${t.reason}; the block was rolled back. Run it again.`);
      }
      if (t.done) return { inForce: [...settled, ...fresh.map(idOf)], pending: running };
      return {
        inForce: settled,
        pending: [
          ...running,
          ...fresh.map((h) => ({
            id: pendingId(idOf(h), task, result.added.has(h.ip)),
            what: stillRunning(task, cfg.pkg),
          })),
        ],
      };
    });
  };

  const confirm = async (target: BlockTarget, pendingIds: readonly string[]): Promise<ConfirmAnswer> => {
    const refs = pendingIds.map((id) => ({ id, ref: parseElementId(id) }));
    const out = {
      inForce: [] as string[],
      pending: [] as ConfirmAnswer['pending'][number][],
      failed: [] as ConfirmAnswer['failed'][number][],
    };
    for (const { id, ref } of refs) {
      if (!ref?.task || ref.adom !== cfg.adom)
        out.failed.push({ id, reason: `Not a pending ${PRODUCT} element of ADOM ${cfg.adom}.` });
    }
    const valid = refs.filter((r) => r.ref?.task && r.ref.adom === cfg.adom);
    if (valid.length === 0) return out;
    const objs = open(cfg, ctx);
    await objs.rpc.withSession(async () => {
      for (const task of new Set(valid.map((r) => r.ref?.task as number))) {
        const mine = valid.filter((r) => r.ref?.task === task);
        const t = await readTask(objs, task);
        if (t.done && t.ok) out.inForce.push(...mine.map((r) => baseId(r.id)));
        else if (!t.done)
          out.pending.push(...mine.map((r) => ({ id: r.id, what: stillRunning(task, cfg.pkg) })));
        else {
          out.failed.push(
            ...mine.map((r) => ({ id: r.id, reason: `${t.reason}; the block was rolled back.` })),
          );
          for (const side of ['src', 'dst'] as const) {
            const wrote = mine
              .filter((r) => r.ref?.wrote && r.ref.side === side)
              .map((r) => r.ref as { ip: string });
            await rollback(objs, side, hosts(wrote.map((r) => r.ip)), target);
          }
        }
      }
    });
    return out;
  };

  /** Removes, installs, and waits for the install; a failed install is an error (the tags stay). */
  const release = async (bySide: ReadonlyMap<Side, HostIp[]>): Promise<void> => {
    const objs = open(cfg, ctx);
    await objs.rpc.withSession(async () => {
      const { task } = await applyAndInstall(
        objs,
        async () => {
          for (const [side, hs] of bySide) await removeHosts(objs, cfg, side, hs);
        },
        () => true,
      );
      const t = await waitForTask(objs, task as number, ctx, unblockWaitMs);
      if (t.done && !t.ok) {
        throw new RelayError(
          'service unavailable',
          `${t.reason}; the ADOM no longer holds the block. Run the unblock again.`,
        );
      }
      if (!t.done) ctx.log.info('FortiManager install still running after unblock', { task });
    });
  };

  const unblock = async (o: Recorded): Promise<string[]> => {
    const ids = [...(o.blockedElements?.[CLIENT_NAME] ?? []), ...(o.pendingElements?.[CLIENT_NAME] ?? [])];
    const bySide = new Map<Side, HostIp[]>();
    const released: string[] = [];
    for (const id of new Set(ids)) {
      const ref = parseElementId(id);
      if (!ref || ref.adom !== cfg.adom) {
        ctx.log.warn('FortiManager element id skipped: not of the configured ADOM', { id });
        continue;
      }
      bySide.set(ref.side, [...(bySide.get(ref.side) ?? []), { ip: ref.ip, family: ref.family }]);
      released.push(id);
    }
    if (released.length === 0) return [];
    await release(bySide);
    return released;
  };

  const blockStatics = async (inputs: readonly string[]): Promise<StaticElement[]> => {
    const hs = hosts(inputs);
    if (hs.length === 0) return [];
    const objs = open(cfg, ctx);
    return objs.rpc.withSession(async () => {
      const { result, task } = await applyAndInstall(
        objs,
        () => addHosts(objs, cfg, 'dst', hs),
        () => true,
      );
      const ok = hs.filter((h) => !result.refused.has(h.ip));
      const t = await waitForTask(objs, task as number, ctx, staticWaitMs);
      if (t.done && !t.ok) {
        await rollback(
          objs,
          'dst',
          ok.filter((h) => result.added.has(h.ip)),
        );
        throw new RelayError('service unavailable', `${t.reason}; the block was rolled back.`);
      }
      if (!t.done) {
        throw new RelayError(
          'service unavailable',
          `${stillRunning(task as number, cfg.pkg)} is still running; the next run completes it.`,
        );
      }
      return ok.map((h) => ({ ip: h.ip, id: elementId(cfg.adom, 'dst', h.ip) }));
    });
  };

  const unblockStatics = async (inputs: readonly string[]): Promise<StaticElement[]> => {
    const hs = hosts(inputs);
    if (hs.length === 0) return [];
    // The core guards objects' unblocks; the static list's are ours to guard: a destination
    // member a detection still holds is kept, and answered released for the list only.
    const go: HostIp[] = [];
    for (const h of hs) {
      const id = elementId(cfg.adom, 'dst', h.ip);
      const owners = ctx.guard
        ? await ctx.guard.holders(CLIENT_NAME, id, h.ip, { kind: 'static-ips', id: null })
        : [];
      if (owners.length)
        ctx.log.info('FortiManager member kept: still relied on', { id, by: owners.map((o) => o.label) });
      else go.push(h);
    }
    if (go.length) await release(new Map([['dst', go]]));
    return hs.map((h) => ({ ip: h.ip, id: elementId(cfg.adom, 'dst', h.ip) }));
  };

  return defineBlockClient(
    { module: MODULE, name: CLIENT_NAME, capabilities: CAPABILITIES },
    {
      blockHost: (host) => block('src', host.ip ? [host.ip] : [], host),
      unblockHost: unblock,
      groomHost: async (host) => {
        const current = host.ip ? hostIp(host.ip)?.ip : undefined;
        const mine = host.blockedElements[CLIENT_NAME] ?? [];
        const stale = mine.some((id) => parseElementId(id)?.ip !== current);
        return { unblock: stale, block: stale && current !== undefined };
      },
      blockDetection: (d) => block('dst', d.dstIps, d),
      unblockDetection: unblock,
      blockStaticDstIps: (ips) => blockStatics(ips.dstIps),
      unblockStaticDstIps: (ips) => unblockStatics(ips.dstIps),
      confirm,
      ipOf: (id) => parseElementId(id)?.ip,
      health: async () => {
        const objs = open(cfg, ctx);
        await objs.rpc.withSession(async () => {
          await objs.groupMembers(4, cfg.groups.src);
          await objs.groupMembers(4, cfg.groups.dst);
        });
      },
    },
  );
}
