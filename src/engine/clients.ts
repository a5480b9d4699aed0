/**
 * Which block clients act on what, and a defensive call layer over them.
 *
 * - `enabledClients`: the policy's THIRD_PARTY_CLIENTS picks among the clients
 *   the registry built from the `block_clients` claim.
 * - `eligibleClients`: VAR's per-object routing — `client:<module>` tags
 *   restrict an object to those modules (§2.5) — plus the declared capability.
 * - `callBlock`/`callUnblock`/`callGroom`: every answer is normalised, so a
 *   client returning a bare string or id cannot corrupt tags (VAR bug §7.7)
 *   and a groom answer of `[]` or `{}` means "no change" instead of a crash
 *   (VAR bug §7.2). This holds even for a `BlockClient` not built with
 *   `defineBlockClient`.
 */
import { toIdList } from '../vendors/block-client.js';
import type { BlockCapability, BlockClient, GroomDecision } from '../vendors/types.js';
import type { VectraAccount, VectraDetection, VectraHost } from '../vendors/vectra/model.js';
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

/** Clients that may act on `object`: right capability, and allowed by its `client:` tags. */
export function eligibleClients(
  object: Pick<EngineObject, 'kind' | 'clientRestrictions'>,
  clients: readonly BlockClient[],
): BlockClient[] {
  const capability: BlockCapability = object.kind;
  const only = new Set(object.clientRestrictions);
  return clients.filter((c) => c.capabilities.has(capability) && (only.size === 0 || only.has(c.module)));
}

export async function callBlock(client: BlockClient, object: EngineObject): Promise<string[]> {
  const answer: unknown =
    object.kind === 'host'
      ? await client.blockHost(object)
      : object.kind === 'account'
        ? await client.blockAccount(object)
        : await client.blockDetection(object);
  return toIdList(answer, client.name);
}

export async function callUnblock(client: BlockClient, object: EngineObject): Promise<string[]> {
  const answer: unknown =
    object.kind === 'host'
      ? await client.unblockHost(object)
      : object.kind === 'account'
        ? await client.unblockAccount(object)
        : await client.unblockDetection(object);
  // VAR treats `None` as "nothing unblocked"; keep that, but still reject bare strings.
  return answer === null || answer === undefined ? [] : toIdList(answer, client.name);
}

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
  return toIdList(answer ?? [], client.name);
}
