/**
 * VAR's set algebra (vectra.md §2.2 steps 4–7), pure and keyed by Vectra id,
 * with the reason for every decision kept next to it so that a dry run can
 * say *why* an object would be blocked or unblocked.
 *
 * Two deliberate differences from VAR, both fixes:
 * - with EXPLICIT_UNBLOCK, an object carrying the unblock tag is never in
 *   `toBlock` in the same run (VAR would block and unblock it at once);
 * - with EXPLICIT_UNBLOCK, unblock-tagged objects that are not blocked are
 *   still listed (with no elements) so the apply step consumes the request by
 *   removing the unblock and block tags (VAR logs an error and leaves them).
 *
 * One addition: `toReconcile = (blocked ∩ matching) − no_block − to_unblock`,
 * the objects whose block the engine re-asserts with the clients (VAR never
 * looks at them again, so an element lost at the client stays lost).
 */

/** Why an object is selected for blocking. */
export type BlockReason = 'tag' | 'group' | 'score' | 'urgency' | 'detection-type' | 'host-score';

/** Why an object is selected for unblocking. */
export type UnblockReason = 'no-block' | 'explicit-unblock' | 'no-longer-matching';

export interface Identified {
  readonly id: number;
}

export interface AlgebraInput<T extends Identified> {
  /** Every matching id with the rules that selected it. */
  readonly matching: ReadonlyMap<number, ReadonlySet<BlockReason>>;
  /** Objects carrying the VAR marker tag. */
  readonly blocked: readonly T[];
  /** Ids that must never be blocked (the no-block group). */
  readonly noBlock: ReadonlySet<number>;
  /** Objects carrying the unblock tag, when EXPLICIT_UNBLOCK is on; `null` when off. */
  readonly unblockTagged: readonly T[] | null;
  /** Compute `toGroom` (hosts with GROOM on). */
  readonly groom?: boolean;
  /** Compute `toReconcile` (RECONCILE_BLOCKED on). */
  readonly reconcile?: boolean;
}

export interface AlgebraResult<T extends Identified> {
  /** Ids to block, with reasons; the caller resolves the objects (only these need fetching). */
  readonly toBlock: ReadonlyMap<number, readonly BlockReason[]>;
  readonly toUnblock: ReadonlyArray<{ readonly object: T; readonly reason: UnblockReason }>;
  readonly toGroom: readonly T[];
  /** Blocked objects that still match (and are not no-block nor being unblocked), with their reasons. */
  readonly toReconcile: ReadonlyArray<{ readonly object: T; readonly reasons: readonly BlockReason[] }>;
  readonly wronglyBlocked: readonly number[];
}

export function computeSets<T extends Identified>(input: AlgebraInput<T>): AlgebraResult<T> {
  const blockedIds = new Set(input.blocked.map((o) => o.id));
  const unblockIds = new Set((input.unblockTagged ?? []).map((o) => o.id));

  // 4. wrongly_blocked = blocked ∩ no_block
  const wrongly = input.blocked.filter((o) => input.noBlock.has(o.id));
  const wronglyIds = new Set(wrongly.map((o) => o.id));

  // 5. to_block = (matching − blocked) − no_block  (− unblock-tagged, see header)
  const toBlock = new Map<number, readonly BlockReason[]>();
  for (const [id, reasons] of input.matching) {
    if (blockedIds.has(id) || input.noBlock.has(id) || unblockIds.has(id)) continue;
    toBlock.set(id, [...reasons].sort());
  }

  // 6. to_unblock = explicit ? unblock-tagged : blocked − matching; then ∪ wrongly_blocked
  const toUnblock = new Map<number, { object: T; reason: UnblockReason }>();
  for (const o of wrongly) toUnblock.set(o.id, { object: o, reason: 'no-block' });
  if (input.unblockTagged) {
    for (const o of input.unblockTagged) {
      if (!toUnblock.has(o.id)) toUnblock.set(o.id, { object: o, reason: 'explicit-unblock' });
    }
  } else {
    for (const o of input.blocked) {
      if (!input.matching.has(o.id) && !toUnblock.has(o.id)) {
        toUnblock.set(o.id, { object: o, reason: 'no-longer-matching' });
      }
    }
  }

  // 7. to_groom = blocked − wrongly_blocked (and not being unblocked this run)
  const toGroom = input.groom
    ? input.blocked.filter((o) => !wronglyIds.has(o.id) && !toUnblock.has(o.id))
    : [];

  // Reconcile = (blocked ∩ matching) − no_block − to_unblock: still blocked on purpose.
  const toReconcile: Array<{ object: T; reasons: readonly BlockReason[] }> = [];
  if (input.reconcile) {
    const seen = new Set<number>();
    for (const o of input.blocked) {
      const reasons = input.matching.get(o.id);
      if (!reasons || input.noBlock.has(o.id) || toUnblock.has(o.id) || seen.has(o.id)) continue;
      seen.add(o.id);
      toReconcile.push({ object: o, reasons: [...reasons].sort() });
    }
    toReconcile.sort((a, b) => a.object.id - b.object.id);
  }

  return {
    toBlock,
    toUnblock: [...toUnblock.values()].sort((a, b) => a.object.id - b.object.id),
    toGroom,
    toReconcile,
    wronglyBlocked: [...wronglyIds].sort((a, b) => a - b),
  };
}

/** Adds `reason` for each id to a reasons map (mutates; used while collecting `matching`). */
export function addReason(
  map: Map<number, Set<BlockReason>>,
  ids: Iterable<number>,
  reason: BlockReason,
): Map<number, Set<BlockReason>> {
  for (const id of ids) {
    const set = map.get(id) ?? new Set<BlockReason>();
    set.add(reason);
    map.set(id, set);
  }
  return map;
}

/** `a ≥ T and/or b ≥ C` (the scored queries) or strict `>` (VAR's detection-type check, §7.4). */
export function passes(
  score: { threat: number; certainty: number },
  tc: { threat: number; condition: 'and' | 'or'; certainty: number },
  strict: boolean,
): boolean {
  const t = strict ? score.threat > tc.threat : score.threat >= tc.threat;
  const c = strict ? score.certainty > tc.certainty : score.certainty >= tc.certainty;
  return tc.condition === 'and' ? t && c : t || c;
}
