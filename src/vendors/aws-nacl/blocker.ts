/**
 * Deny and un-deny one canonical CIDR in one NACL, safely under concurrency.
 *
 * Ownership is the rule-number band: an entry is ours when its number is in
 * the band, it denies all traffic (protocol -1, no ports) for exactly the
 * canonical CIDR. Nothing outside the band is ever written or deleted.
 *
 * EC2 has no conditional writes, so numbering is an optimistic lock: read,
 * take the lowest free number, create, and on `NetworkAclEntryAlreadyExists`
 * read again and retry (bounded). Inside one process two extra guards avoid
 * the collisions altogether: a lock per (NACL, CIDR) so concurrent calls for
 * the same address see each other's writes, and short-lived number
 * reservations so concurrent calls for different addresses pick different
 * numbers even from the same (possibly stale) snapshot.
 */

import type { Cidr } from '../../kernel/cidr.js';
import { RelayError } from '../../kernel/errors.js';
import { withKeyLock } from '../../kernel/keyed-lock.js';
import type { NaclApi, NaclEntry, NaclView } from './client.js';
import type { Direction, NaclConfig } from './config.js';

export interface Change {
  readonly op: 'create' | 'delete';
  readonly naclId: string;
  readonly direction: Direction;
  readonly ruleNumber: number;
  readonly cidr: string;
  /** True when EC2's DryRun said "allowed" and nothing was written. */
  readonly dryRun: boolean;
}

/** Creates attempted per direction before giving up on a busy NACL. */
export const MAX_CREATE_ATTEMPTS = 5;
/** How long a number we just wrote stays off-limits, covering EC2's eventually consistent reads. */
const RESERVATION_GRACE_MS = 10_000;

const directionOf = (egress: boolean): Direction => (egress ? 'egress' : 'ingress');
const egressOf = (d: Direction): boolean => d === 'egress';

/** True for an entry the blocker owns and that denies exactly this CIDR in this direction. */
export function isOwnedDeny(e: NaclEntry, band: NaclConfig['band'], cidr: Cidr, egress?: boolean): boolean {
  return (
    e.ruleNumber >= band.lo &&
    e.ruleNumber <= band.hi &&
    e.action === 'deny' &&
    e.protocol === '-1' &&
    !e.narrowed &&
    e.cidr?.text === cidr.text &&
    (egress === undefined || e.egress === egress)
  );
}

/** Directions in which the CIDR is already denied by an owned entry. */
export function deniedDirections(view: NaclView, cfg: Pick<NaclConfig, 'band'>, cidr: Cidr): Set<Direction> {
  return new Set(
    view.entries.filter((e) => isOwnedDeny(e, cfg.band, cidr)).map((e) => directionOf(e.egress)),
  );
}

/** Free numbers left in the band for one direction (numbers are unique per direction, both families). */
export function freeSlots(view: NaclView, band: NaclConfig['band'], egress: boolean): number {
  const used = view.entries.filter(
    (e) => e.egress === egress && e.ruleNumber >= band.lo && e.ruleNumber <= band.hi,
  );
  return band.hi - band.lo + 1 - new Set(used.map((e) => e.ruleNumber)).size;
}

// ---- in-process coordination (module scope: shared by all requests in this container) ----

/** naclId|egress → number → expiry (Infinity while the create is in flight). */
const reservations = new Map<string, Map<number, number>>();

function reserved(naclId: string, egress: boolean): Map<number, number> {
  const key = `${naclId}|${egress}`;
  let m = reservations.get(key);
  if (!m) {
    m = new Map();
    reservations.set(key, m);
  }
  const now = Date.now();
  for (const [n, until] of m) if (until < now) m.delete(n);
  return m;
}

function pickNumber(
  view: NaclView,
  band: NaclConfig['band'],
  egress: boolean,
  held: Map<number, number>,
): number | undefined {
  const used = new Set(view.entries.filter((e) => e.egress === egress).map((e) => e.ruleNumber));
  for (let n = band.lo; n <= band.hi; n++) if (!used.has(n) && !held.has(n)) return n;
  return undefined;
}

// ---- operations ----

export interface OpOptions {
  readonly signal: AbortSignal;
  /** A snapshot taken by the caller (one describe for many CIDRs); ignored if we had to wait. */
  readonly view?: NaclView | undefined;
}

async function describeOne(api: NaclApi, naclId: string, signal: AbortSignal): Promise<NaclView> {
  const view = (await api.describe([naclId], signal)).get(naclId);
  if (!view) throw new RelayError('not found', `Network ACL ${naclId} was not found.`);
  return view;
}

/**
 * Ensures an owned deny for `cidr` exists in every configured direction.
 * Returns the entries created (or, in dry-run, that would be); empty when the
 * CIDR was already denied.
 */
export function denyCidr(
  api: NaclApi,
  cfg: NaclConfig,
  naclId: string,
  cidr: Cidr,
  opts: OpOptions,
): Promise<Change[]> {
  return withKeyLock(`aws-nacl|${naclId}|${cidr.text}`, async (waited) => {
    let view = waited ? undefined : opts.view;
    const changes: Change[] = [];
    let pending = [...cfg.directions];
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_CREATE_ATTEMPTS) {
        throw new RelayError(
          'state conflict',
          `Could not add a deny for ${cidr.text} to ${naclId}: other writers took every free rule number ${MAX_CREATE_ATTEMPTS} times in a row. Please, try again.`,
        );
      }
      const snap = view ?? (await describeOne(api, naclId, opts.signal));
      view = undefined;
      const denied = deniedDirections(snap, cfg, cidr);
      const todo = pending.filter((d) => !denied.has(d));
      const results = await settleAll(
        todo.map(async (d) => ({ d, r: await createIn(api, cfg, snap, d, cidr, opts.signal) })),
      );
      for (const { r } of results) if (r !== 'retry') changes.push(r);
      pending = results.filter((x) => x.r === 'retry').map((x) => x.d);
    }
    return changes;
  });
}

async function createIn(
  api: NaclApi,
  cfg: NaclConfig,
  view: NaclView,
  direction: Direction,
  cidr: Cidr,
  signal: AbortSignal,
): Promise<Change | 'retry'> {
  const egress = egressOf(direction);
  const held = reserved(view.id, egress);
  const n = pickNumber(view, cfg.band, egress, held);
  if (n === undefined) throw bandFull(view.id, cfg.band, direction);
  held.set(n, Number.POSITIVE_INFINITY);
  let keep = false;
  try {
    const r = await api.createDeny(view.id, n, egress, cidr, { dryRun: cfg.dryRun, signal });
    if (r === 'exists') return 'retry';
    // Count from a fresh read: the snapshot may predate other writers' entries.
    if (r === 'limit') throw quotaFull(await describeOne(api, view.id, signal), direction, cidr);
    keep = r === 'created';
    return {
      op: 'create',
      naclId: view.id,
      direction,
      ruleNumber: n,
      cidr: cidr.text,
      dryRun: r === 'dry-run',
    };
  } finally {
    if (keep) held.set(n, Date.now() + RESERVATION_GRACE_MS);
    else held.delete(n);
  }
}

/** Removes every owned deny of `cidr`, in both directions (the direction setting may have changed since). */
export function undenyCidr(
  api: NaclApi,
  cfg: NaclConfig,
  naclId: string,
  cidr: Cidr,
  opts: OpOptions,
): Promise<Change[]> {
  return withKeyLock(`aws-nacl|${naclId}|${cidr.text}`, async (waited) => {
    const view = (waited ? undefined : opts.view) ?? (await describeOne(api, naclId, opts.signal));
    const owned = view.entries.filter((e) => isOwnedDeny(e, cfg.band, cidr));
    const results = await settleAll(
      owned.map(async (e) => {
        const r = await api.deleteEntry(naclId, e.ruleNumber, e.egress, {
          dryRun: cfg.dryRun,
          signal: opts.signal,
        });
        const change: Change = {
          op: 'delete',
          naclId,
          direction: directionOf(e.egress),
          ruleNumber: e.ruleNumber,
          cidr: cidr.text,
          dryRun: r === 'dry-run',
        };
        // Already gone (another caller removed it) is success, but it is not our change.
        return r === 'gone' ? undefined : change;
      }),
    );
    return results.filter((c): c is Change => c !== undefined);
  });
}

/**
 * Like Promise.all, but waits for every write before failing: returning while a
 * sibling create is still in flight would release the lock with the NACL about
 * to change under the next caller.
 */
async function settleAll<T>(work: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

const QUOTA_HINT =
  'Raise the service quota L-2AEEBF1A "Rules per network ACL" (default 20 per direction and IP family, up to 40) or unblock addresses.';

export function bandFull(naclId: string, band: NaclConfig['band'], direction: Direction): RelayError {
  const slots = band.hi - band.lo + 1;
  return new RelayError(
    'state conflict',
    `No free rule number in the owned band ${band.lo}-${band.hi} of ${naclId} (${direction}): all ${slots} slots are in use. ` +
      'Widen aws_nacl_rule_range (keeping it below the first allow rule) or unblock addresses.',
  );
}

function quotaFull(view: NaclView, direction: Direction, cidr: Cidr): RelayError {
  const egress = egressOf(direction);
  // The "*" default rules (32767/32768) do not count; everything else in this direction and family does.
  const held = view.entries.filter(
    (e) => e.egress === egress && e.family === cidr.family && e.ruleNumber <= 32766,
  ).length;
  return new RelayError(
    'state conflict',
    `Network ACL ${view.id} is full: it holds ${held} IPv${cidr.family} ${direction} rules, the account's quota. ${QUOTA_HINT}`,
  );
}
