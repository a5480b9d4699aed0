/**
 * Builds a full `BlockClient` from the operations a vendor really implements.
 * Missing operations answer `[]` (nothing acted on), like VAR's clients, and
 * groom answers "no change" — with the correct type, unlike VAR (vectra.md §7.2).
 * Every answer is checked to be a list of non-empty strings, so a vendor that
 * returns a bare string cannot corrupt tags (vectra.md §7.7).
 */
import type { BlockCapability, BlockClient, GroomDecision } from './vendor.js';

type Ops = Partial<Omit<BlockClient, 'module' | 'name' | 'capabilities'>>;

export function defineBlockClient(
  identity: { module: string; name: string; capabilities: readonly BlockCapability[] },
  ops: Ops,
): BlockClient {
  const list =
    <A>(fn: ((arg: A) => Promise<string[]>) | undefined) =>
    async (arg: A): Promise<string[]> =>
      fn ? toIdList(await fn(arg), identity.name) : [];
  const noGroom: GroomDecision = { block: false, unblock: false };
  return {
    module: identity.module,
    name: identity.name,
    capabilities: new Set(identity.capabilities),
    blockHost: list(ops.blockHost),
    unblockHost: list(ops.unblockHost),
    groomHost: async (host) => (ops.groomHost ? { ...noGroom, ...(await ops.groomHost(host)) } : noGroom),
    blockAccount: list(ops.blockAccount),
    unblockAccount: list(ops.unblockAccount),
    blockDetection: list(ops.blockDetection),
    unblockDetection: list(ops.unblockDetection),
    blockStaticDstIps: list(ops.blockStaticDstIps),
    unblockStaticDstIps: list(ops.unblockStaticDstIps),
    ...(ops.health ? { health: ops.health } : {}),
  };
}

/** Normalises a client's answer to a de-duplicated list of non-empty strings. */
export function toIdList(value: unknown, client: string): string[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`Block client ${client} returned ${typeof value} instead of a list of ids`);
  }
  const ids = value.map((v) => (typeof v === 'number' ? String(v) : v));
  if (!ids.every((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200)) {
    throw new TypeError(`Block client ${client} returned an id that is not a non-empty string`);
  }
  return [...new Set(ids)];
}
