/**
 * Which block clients act on what, and a defensive call layer over them.
 *
 * - `enabledClients`: the policy's THIRD_PARTY_CLIENTS picks among the clients
 *   the registry built from the `block_clients` claim.
 * - `eligibleClients`, `callBlock`, `callUnblock`: shared with the relay's
 *   respond (`src/vendors/var/apply.ts`): VAR's `client:<module>` routing and
 *   answers checked to be lists of ids.
 * - `callGroom`/`callStatic`: every answer is normalised, so a
 *   client returning a bare string or id cannot corrupt tags (VAR bug §7.7)
 *   and a groom answer of `[]` or `{}` means "no change" instead of a crash
 *   (VAR bug §7.2). This holds even for a `BlockClient` not built with
 *   `defineBlockClient`.
 */

import type { BlockClient, GroomDecision } from '../kernel/block-client.js';
import { toStaticList } from '../kernel/block-client.js';
import type { VectraAccount, VectraDetection, VectraHost } from '../kernel/model.js';
import { PolicyError } from './policy.js';

export type EngineObject = VectraHost | VectraAccount | VectraDetection;

/** Clients listed in the policy (all of the claim's when the policy lists none), in claim order. */
export function enabledClients(
  all: readonly BlockClient[],
  listed: readonly string[] | undefined,
): BlockClient[] {
  if (listed === undefined) return [...all];
  const wanted = new Set(listed.map((m) => m.trim().toLowerCase()));
  for (const m of wanted) {
    if (!all.some((c) => c.module === m)) {
      throw new PolicyError(
        `Invalid engine policy: THIRD_PARTY_CLIENTS names ${m}, which block_clients does not configure`,
      );
    }
  }
  return all.filter((c) => wanted.has(c.module));
}

export { callBlock, callUnblock, eligibleClients } from '../var/applier.js';

/** VAR's groom answer, whatever shape the client used: only a literal `true` counts. */
export async function callGroom(client: BlockClient, host: VectraHost): Promise<GroomDecision> {
  const answer: unknown = await client.groomHost(host);
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    return { block: false, unblock: false };
  }
  const d = answer as Record<string, unknown>;
  return { block: d.block === true, unblock: d.unblock === true };
}

export async function callStatic(client: BlockClient, op: 'block' | 'unblock', ips: readonly string[]) {
  const arg = { kind: 'static-ips', dstIps: [...ips] } as const;
  const answer: unknown =
    op === 'block' ? await client.blockStaticDstIps(arg) : await client.unblockStaticDstIps(arg);
  return toStaticList(answer ?? [], client.name);
}
