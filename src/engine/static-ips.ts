/**
 * Static destination IPs (VAR's STATIC_BLOCK_DESTINATION_IPS, vectra.md §2.4):
 * `toBlock = desired − current`, `toUnblock = current − desired`, applied by
 * every enabled client able to block static lists.
 *
 * VAR remembers `current` in a local file. A Lambda has no durable disk, so
 * the store is pluggable: `memoryStaticIpStore` (tests), `fileStaticIpStore`
 * (CLI, VAR's behaviour) and `vectraGroupStaticIpStore` (`vectra-port.ts`,
 * an `ip` group in Vectra). The store is written only with what really got
 * applied, so a failed client makes the next run try again.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BlockClient } from '../vendors/types.js';
import { type ApplyContext, oneAtATime, step } from './apply.js';
import { callStatic } from './clients.js';
import type { StaticIpStore } from './port.js';

export interface StaticIpPlan {
  readonly desired: readonly string[];
  readonly current: readonly string[];
  readonly toBlock: readonly string[];
  readonly toUnblock: readonly string[];
}

/** Canonical spelling so that `10.0.0.1` and `10.0.0.1/32`, or case in IPv6, compare equal. */
export function canonicalIp(v: string): string {
  const s = v.trim().toLowerCase();
  return s.endsWith('/32') && !s.includes(':') ? s.slice(0, -3) : s.endsWith('/128') ? s.slice(0, -4) : s;
}

export function planStaticIps(desiredRaw: readonly string[], currentRaw: readonly string[]): StaticIpPlan {
  const desired = [...new Set(desiredRaw.map(canonicalIp))].sort();
  const current = [...new Set(currentRaw.map(canonicalIp))].sort();
  const d = new Set(desired);
  const c = new Set(current);
  return {
    desired,
    current,
    toBlock: desired.filter((ip) => !c.has(ip)),
    toUnblock: current.filter((ip) => !d.has(ip)),
  };
}

export const staticClients = (clients: readonly BlockClient[]): BlockClient[] =>
  clients.filter((c) => c.capabilities.has('static-ips'));

/**
 * Applies the diff and records the new `current`. With `allowBlock` false (cap
 * exceeded) only the unblock half runs. Without any capable client nothing is
 * recorded, so enabling one later still blocks the whole list.
 */
export async function applyStaticIps(
  ctx: ApplyContext,
  plan: StaticIpPlan,
  store: StaticIpStore,
  allowBlock: boolean,
): Promise<void> {
  const clients = staticClients(ctx.clients);
  if (clients.length === 0 || (plan.toBlock.length === 0 && plan.toUnblock.length === 0)) return;
  const run = async (op: 'block' | 'unblock', ips: readonly string[]): Promise<boolean> => {
    if (ips.length === 0) return false;
    let all = true;
    for (const c of clients) {
      const rec = await step(ctx, { action: op, kind: 'static-ips', id: null, client: c.name }, async () => ({
        elements: await oneAtATime(c, () => callStatic(c, op, ips)),
        outcome: 'success',
      }));
      all &&= rec.outcome === 'success';
    }
    return all;
  };
  const unblocked = await run('unblock', plan.toUnblock);
  const blocked = allowBlock ? await run('block', plan.toBlock) : false;
  const next = new Set(plan.current);
  if (unblocked) for (const ip of plan.toUnblock) next.delete(ip);
  if (blocked) for (const ip of plan.toBlock) next.add(ip);
  if (unblocked || blocked) await store.write([...next].sort());
}

export function memoryStaticIpStore(initial: readonly string[] = []): StaticIpStore & { value: string[] } {
  const store = {
    value: [...initial],
    read: async () => [...store.value],
    write: async (ips: readonly string[]) => {
      store.value = [...ips];
    },
  };
  return store;
}

/** VAR's `.current_blocked_static_destination_ips`: one entry per line, written atomically. */
export function fileStaticIpStore(path: string): StaticIpStore {
  return {
    async read() {
      try {
        return (await readFile(path, 'utf8'))
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    async write(ips) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, ips.map((ip) => `${ip}\n`).join(''), 'utf8');
      await rename(tmp, path);
    },
  };
}
