/**
 * Model-based property test: random sequences of block, unblock and foreign
 * writes against the fake, checking after every step that the NACL equals a
 * simple model (our denies as a list per direction; foreign and default entries
 * byte-for-byte unchanged) and that failures happen exactly when the band
 * below the first allow that covers the address, or the quota, is exhausted.
 * AWS evaluates the lowest number first, so a deny of ours behind such an
 * allow does not count as a block: another one is written below it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlaps, parseCidr } from '../../../src/kernel/cidr.js';
import { RelayError } from '../../../src/kernel/errors.js';
import type { FakeEntry } from '../../../src/sandbox/ec2/index.js';
import { awsNaclClient, parseNaclConfig } from '../../../src/vendors/aws-nacl/index.js';
import { type Harness, host, startHarness, stopHarness } from './harness.js';

const BAND = { lo: 1, hi: 10 };
const QUOTA = 6;
const POOL = [
  '203.0.113.1/32',
  '203.0.113.2/32',
  '203.0.113.3/32',
  '198.51.100.0/24',
  '192.0.2.9/32',
  '192.0.2.10/32',
  '2001:db8::1/128',
  '2001:db8::2/128',
  '2001:db8:1::/64',
];
const DIRS = [true, false] as const;

type Op =
  | { kind: 'block'; cidr: string }
  | { kind: 'unblock'; cidr: string }
  | { kind: 'foreign'; egress: boolean; ruleNumber: number; cidr: string; variant: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('block' as const), cidr: fc.constantFrom(...POOL) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('unblock' as const), cidr: fc.constantFrom(...POOL) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('foreign' as const),
      egress: fc.boolean(),
      ruleNumber: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 150, max: 155 })),
      cidr: fc.constantFrom(...POOL),
      variant: fc.integer({ min: 0, max: 1 }),
    }),
  },
);

const v6 = (cidr: string) => cidr.includes(':');
const cidrOf = (e: FakeEntry) => e.cidrBlock ?? e.ipv6CidrBlock ?? '';
const key = (e: FakeEntry) => `${e.egress}|${e.ruleNumber}`;

/** A foreign entry the blocker must not consider its own: in the band it is never an all-traffic deny. */
function foreignEntry(op: Extract<Op, { kind: 'foreign' }>): FakeEntry {
  const inBand = op.ruleNumber >= BAND.lo && op.ruleNumber <= BAND.hi;
  const addr = v6(op.cidr) ? { ipv6CidrBlock: op.cidr } : { cidrBlock: op.cidr };
  if (inBand && op.variant === 0)
    return { ruleNumber: op.ruleNumber, egress: op.egress, protocol: '-1', ruleAction: 'allow', ...addr };
  if (inBand) {
    return {
      ruleNumber: op.ruleNumber,
      egress: op.egress,
      protocol: '6',
      ruleAction: 'deny',
      portRange: { from: 443, to: 443 },
      ...addr,
    };
  }
  return {
    ruleNumber: op.ruleNumber,
    egress: op.egress,
    protocol: '-1',
    ruleAction: op.variant ? 'deny' : 'allow',
    ...addr,
  };
}

let h: Harness | undefined;
beforeAll(async () => {
  h = await startHarness({ quota: QUOTA, nacls: [{ ipv6: true }] });
});
afterAll(() => stopHarness(h));

describe('NACL blocker against a model', () => {
  it('keeps the NACL equal to the model and never alters foreign entries', async () => {
    const harness = h as Harness;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const naclId = harness.fake.addNacl({ ipv6: true });
        const claims = {
          ...harness.claims,
          aws_nacl_ids: naclId,
          aws_nacl_rule_range: `${BAND.lo}-${BAND.hi}`,
        };
        const client = awsNaclClient.create(parseNaclConfig(claims, harness.ctx.config), harness.ctx);
        const baseline = harness.fake.entries(naclId);
        const foreign = new Map<string, FakeEntry>(baseline.map((e) => [key(e), e]));
        const ours = new Map<boolean, string[]>(DIRS.map((d) => [d, [] as string[]]));
        const covers = (a: string, b: string) => {
          const x = parseCidr(a);
          const y = parseCidr(b);
          return x !== undefined && y !== undefined && overlaps(x, y);
        };

        for (const op of ops) {
          if (op.kind === 'foreign') {
            const e = foreignEntry(op);
            if (foreign.has(key(e)) || harness.fake.entries(naclId).some((x) => key(x) === key(e))) continue;
            harness.fake.addForeignEntry(naclId, e);
            foreign.set(key(e), harness.fake.entries(naclId).find((x) => key(x) === key(e)) as FakeEntry);
          } else if (op.kind === 'block') {
            // Predict per direction from the NACL as it is now (it equals the model).
            let fails = false;
            const now = harness.fake.entries(naclId);
            for (const egress of DIRS) {
              const mine = ours.get(egress) as string[];
              const dir = now.filter((e) => e.egress === egress);
              const sameFamily = (c: string) => v6(c) === v6(op.cidr);
              const firstAllow = Math.min(
                ...dir
                  .filter(
                    (e) => e.ruleAction === 'allow' && sameFamily(cidrOf(e)) && covers(cidrOf(e), op.cidr),
                  )
                  .map((e) => e.ruleNumber),
              );
              const inForce = dir.some(
                (e) => !foreign.has(key(e)) && cidrOf(e) === op.cidr && e.ruleNumber < firstAllow,
              );
              if (inForce) continue;
              const used = new Set(dir.map((e) => e.ruleNumber));
              const top = Math.min(BAND.hi, firstAllow - 1);
              let free = false;
              for (let n = BAND.lo; n <= top; n++) if (!used.has(n)) free = true;
              const quotaUsed = dir.filter((e) => e.ruleNumber <= 32766 && sameFamily(cidrOf(e))).length;
              if (!free || quotaUsed >= QUOTA) fails = true;
              else mine.push(op.cidr);
            }
            const result = await client.blockStaticDstIps({ kind: 'static-ips', dstIps: [op.cidr] }).then(
              (pairs) => pairs.map((e) => e.id),
              (err: unknown) => err,
            );
            if (fails) {
              expect(result).toBeInstanceOf(RelayError);
              expect((result as RelayError).code).toBe('state conflict');
            } else {
              expect(result).toEqual([`${naclId}/${op.cidr}`]);
            }
          } else {
            for (const egress of DIRS)
              ours.set(
                egress,
                (ours.get(egress) as string[]).filter((c) => c !== op.cidr),
              );
            await client.unblockHost(host(null, { 'AWS NACL Client': [`${naclId}/${op.cidr}`] }));
          }

          const now = harness.fake.entries(naclId);
          for (const f of foreign.values()) expect(now.find((e) => key(e) === key(f))).toEqual(f);
          const mineNow = now.filter((e) => !foreign.has(key(e)));
          for (const e of mineNow) {
            expect(e.ruleNumber).toBeGreaterThanOrEqual(BAND.lo);
            expect(e.ruleNumber).toBeLessThanOrEqual(BAND.hi);
            expect([e.ruleAction, e.protocol, e.portRange]).toEqual(['deny', '-1', undefined]);
          }
          for (const egress of DIRS) {
            const actual = mineNow
              .filter((e) => e.egress === egress)
              .map(cidrOf)
              .sort();
            expect(actual).toEqual([...(ours.get(egress) as string[])].sort());
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
