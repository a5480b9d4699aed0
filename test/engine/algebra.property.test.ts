/** Invariants of VAR's set algebra over random inputs (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BlockReason, computeSets } from '../../src/engine/algebra.js';

const ids = fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 25 });

describe('computeSets', () => {
  it('never blocks a no-block or already blocked object; unblocks every wrongly blocked one', () => {
    fc.assert(
      fc.property(ids, ids, ids, fc.option(ids, { nil: null }), (matching, blocked, noBlock, unblock) => {
        const r = computeSets({
          matching: new Map(matching.map((id) => [id, new Set<BlockReason>(['tag'])])),
          blocked: blocked.map((id) => ({ id })),
          noBlock: new Set(noBlock),
          unblockTagged: unblock === null ? null : unblock.map((id) => ({ id })),
          groom: true,
          reconcile: true,
        });
        const toUnblock = new Set(r.toUnblock.map((u) => u.object.id));
        for (const id of r.toBlock.keys()) {
          expect(noBlock).not.toContain(id);
          expect(blocked).not.toContain(id);
          expect(matching).toContain(id);
          expect(toUnblock.has(id)).toBe(false);
        }
        for (const id of blocked.filter((b) => noBlock.includes(b))) expect(toUnblock.has(id)).toBe(true);
        if (unblock === null) {
          // Auto mode: exactly (blocked − matching) ∪ wrongly_blocked.
          const expected = blocked.filter((b) => !matching.includes(b) || noBlock.includes(b));
          expect([...toUnblock].sort((a, b) => a - b)).toEqual([...new Set(expected)].sort((a, b) => a - b));
        }
        for (const g of r.toGroom) expect(toUnblock.has(g.id)).toBe(false);
        // Reconcile = exactly (blocked ∩ matching) − no_block − to_unblock, never new blocks.
        const reconcile = r.toReconcile.map((x) => x.object.id);
        const expectedReconcile = [...new Set(blocked)].filter(
          (b) => matching.includes(b) && !noBlock.includes(b) && !toUnblock.has(b),
        );
        expect(reconcile).toEqual(expectedReconcile.sort((a, b) => a - b));
        for (const id of reconcile) expect(r.toBlock.has(id)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
