/**
 * Static destination IPs (VAR's STATIC_BLOCK_DESTINATION_IPS, vectra.md §2.4):
 * `toBlock = desired − current`, `toUnblock = current − desired`, applied by
 * every enabled client able to block static lists.
 *
 * VAR remembers `current` in a local file. A Lambda has no durable disk, so
 * the store is pluggable: `memoryStaticIpStore` (tests), `fileStaticIpStore`
 * (CLI, VAR's behaviour) and `vectraGroupStaticIpStore` (`vectra-port.ts`,
 * an `ip` group in Vectra). The store is written, IP by IP, only with what
 * every client really answered, so a failed client makes the next run try
 * again. Entries are canonical CIDRs (`parseCidr(…).text`: `192.0.2.1/32`).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BlockClient } from '../kernel/block-client.js';
import { parseCidr } from '../kernel/cidr.js';
import type { StaticIpStore } from '../var/ports.js';
import { type ApplyContext, oneAtATime, step } from './apply.js';
import { callStatic } from './clients.js';

export interface StaticIpPlan {
  readonly desired: readonly string[];
  readonly current: readonly string[];
  readonly toBlock: readonly string[];
  readonly toUnblock: readonly string[];
}

/** Canonical CIDR text (`parseCidr(…).text`, as AWS stores it); undefined when not an IP/CIDR. */
const canonical = (v: string): string | undefined => parseCidr(v)?.text;

/**
 * `toBlock = desired − current`, `toUnblock = current − desired`, on canonical
 * forms: `10.0.0.1` and `10.0.0.1/32`, `2001:DB8:0::1` and `2001:db8::1/128`,
 * `10.0.0.5/24` and `10.0.0.0/24` are one entry, so respelling never churns.
 * Entries that are not an IP/CIDR are dropped (the policy already refuses
 * them; a hand-edited state file may not).
 */
export function planStaticIps(desiredRaw: readonly string[], currentRaw: readonly string[]): StaticIpPlan {
  const canon = (list: readonly string[]) =>
    [...new Set(list.map(canonical).filter((v): v is string => v !== undefined))].sort();
  const desired = canon(desiredRaw);
  const current = canon(currentRaw);
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
 * Applies the diff and records the new `current`, IP by IP, from what the
 * clients answered: an IP joins `current` when every capable client answered
 * it from the block call, and leaves it only when every capable client
 * answered it from the unblock call. An IP a client did not confirm stays as
 * it was, so the next run tries it again (an unconfirmed unblock is never
 * forgotten, which would leave an orphan deny). A client call that does not
 * confirm every IP it was given is recorded as a failure naming the rest.
 * With `allowBlock` false (cap exceeded) only the unblock half runs. Without
 * any capable client nothing is recorded, so enabling one later still blocks
 * the whole list.
 */
export async function applyStaticIps(
  ctx: ApplyContext,
  plan: StaticIpPlan,
  store: StaticIpStore,
  allowBlock: boolean,
): Promise<void> {
  const clients = staticClients(ctx.clients);
  if (clients.length === 0 || (plan.toBlock.length === 0 && plan.toUnblock.length === 0)) return;
  /** The IPs of `ips` every client confirmed. */
  const run = async (op: 'block' | 'unblock', asked: readonly string[]): Promise<Set<string>> => {
    let confirmedByAll = new Set(asked);
    if (asked.length === 0) return confirmedByAll;
    // No address of a no-block host reaches a client; left out, it stays unconfirmed and reported.
    const ips = op === 'block' ? await ctx.applier.allowedStaticIps(asked) : asked;
    for (const c of clients) {
      const confirmed = new Set<string>();
      await step(ctx, { action: op, kind: 'static-ips', id: null, client: c.name }, async () => {
        const answered = await oneAtATime(c, () => callStatic(c, op, ips));
        const elements = answered.map((e) => e.id);
        for (const e of answered) {
          const ip = canonical(e.ip);
          if (ip !== undefined) confirmed.add(ip);
        }
        const missing = asked.filter((ip) => !confirmed.has(ip));
        if (missing.length === 0) return { elements, outcome: 'success' };
        const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ', …' : '');
        return {
          elements,
          outcome: 'failure',
          error: `${op} not confirmed for ${missing.length} of ${asked.length} IPs: ${shown}`,
        };
      });
      confirmedByAll = new Set([...confirmedByAll].filter((ip) => confirmed.has(ip)));
    }
    return confirmedByAll;
  };
  const unblocked = await run('unblock', plan.toUnblock);
  const blocked = allowBlock ? await run('block', plan.toBlock) : new Set<string>();
  const next = new Set(plan.current);
  for (const ip of unblocked) next.delete(ip);
  for (const ip of blocked) next.add(ip);
  if (unblocked.size > 0 || blocked.size > 0) await store.write([...next].sort());
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
