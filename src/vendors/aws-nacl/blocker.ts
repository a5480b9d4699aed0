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

import { processCaches } from '../../kernel/caches.js';
import { type Cidr, overlaps } from '../../kernel/cidr.js';
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

/**
 * The lowest-numbered allow in this direction and family that matches any of
 * `cidr`'s traffic. AWS evaluates the lowest number first and stops at the first
 * match, so a deny numbered above it has no effect on that traffic.
 */
export function firstCoveringAllow(view: NaclView, egress: boolean, cidr: Cidr): NaclEntry | undefined {
  let first: NaclEntry | undefined;
  for (const e of view.entries) {
    if (e.egress !== egress || e.action !== 'allow' || e.family !== cidr.family) continue;
    // An allow we cannot parse might cover anything: assume it does.
    if (e.cidr !== undefined && !overlaps(e.cidr, cidr)) continue;
    if (!first || e.ruleNumber < first.ruleNumber) first = e;
  }
  return first;
}

/** True when an owned deny is evaluated before every allow that matches its traffic. */
const inForce = (view: NaclView, e: NaclEntry, cidr: Cidr): boolean => {
  const allow = firstCoveringAllow(view, e.egress, cidr);
  return allow === undefined || allow.ruleNumber > e.ruleNumber;
};

/**
 * Directions in which the CIDR is already denied by an owned entry that is in
 * force. (A deny of ours that a stale read does not show yet is written again:
 * a duplicate deny is harmless and a remove takes them all.)
 */
export function deniedDirections(view: NaclView, cfg: Pick<NaclConfig, 'band'>, cidr: Cidr): Set<Direction> {
  return new Set(
    view.entries
      .filter((e) => isOwnedDeny(e, cfg.band, cidr) && inForce(view, e, cidr))
      .map((e) => directionOf(e.egress)),
  );
}

/**
 * Why no deny for `cidr` can be written in this direction, or undefined when a
 * number is free below the first covering allow (reservations aside).
 */
export function denyBlocker(
  view: NaclView,
  band: NaclConfig['band'],
  direction: Direction,
  cidr: Cidr,
): RelayError | undefined {
  const egress = egressOf(direction);
  const allow = firstCoveringAllow(view, egress, cidr);
  if (pickNumber(view, band, egress, new Map(), allow?.ruleNumber) !== undefined) return undefined;
  return allow !== undefined && allow.ruleNumber <= band.hi
    ? behindAllow(view.id, band, direction, cidr, allow)
    : bandFull(view.id, band, direction);
}

/** Free numbers left in the band for one direction (numbers are unique per direction, both families). */
export function freeSlots(view: NaclView, band: NaclConfig['band'], egress: boolean): number {
  const used = view.entries.filter(
    (e) => e.egress === egress && e.ruleNumber >= band.lo && e.ruleNumber <= band.hi,
  );
  return band.hi - band.lo + 1 - new Set(used.map((e) => e.ruleNumber)).size;
}

// ---- in-process coordination (module scope: shared by all requests in this container) ----

/**
 * naclId|egress → number → hold. A hold lasts while the create is in flight
 * (`until` Infinity) and for a grace period after it succeeded, when it also
 * remembers the CIDR: EC2 reads are eventually consistent, so a describe just
 * after our create may not show it, and a remove must not answer "nothing to do".
 */
interface Hold {
  until: number;
  cidr?: string;
}
/** Reservations per NACL and direction, in the runtime's caches (bounded: NACL ids come from tokens). */
const reservationsOf = (api: NaclApi) =>
  (api.caches ?? processCaches).cache<string, Map<number, Hold>>('nacl-reservations', { maxEntries: 1000 });

function reserved(api: NaclApi, naclId: string, egress: boolean): Map<number, Hold> {
  const reservations = reservationsOf(api);
  const key = `${naclId}|${egress}`;
  let m = reservations.get(key);
  if (!m) {
    m = new Map();
    reservations.set(key, m);
  }
  const now = Date.now();
  for (const [n, h] of m) if (h.until < now) m.delete(n);
  return m;
}

/** Our creates of `cidr` in this NACL that finished within the grace period. */
function recentCreates(api: NaclApi, naclId: string, cidr: Cidr): { egress: boolean; ruleNumber: number }[] {
  const out: { egress: boolean; ruleNumber: number }[] = [];
  for (const egress of [true, false])
    for (const [n, h] of reservationsOf(api).get(`${naclId}|${egress}`) ?? [])
      if (h.cidr === cidr.text && h.until >= Date.now()) out.push({ egress, ruleNumber: n });
  return out;
}

/** The lowest number free in the band and below `below` (the first covering allow), if any. */
function pickNumber(
  view: NaclView,
  band: NaclConfig['band'],
  egress: boolean,
  held: Map<number, Hold>,
  below = Number.POSITIVE_INFINITY,
): number | undefined {
  const used = new Set(view.entries.filter((e) => e.egress === egress).map((e) => e.ruleNumber));
  const top = Math.min(band.hi, below - 1);
  for (let n = band.lo; n <= top; n++) if (!used.has(n) && !held.has(n)) return n;
  return undefined;
}

// ---- operations ----

export interface OpOptions {
  readonly signal: AbortSignal;
  /** A snapshot taken by the caller (one describe for many CIDRs); ignored if we had to wait. */
  readonly view?: NaclView | undefined;
}

export async function describeOne(api: NaclApi, naclId: string, signal: AbortSignal): Promise<NaclView> {
  const view = (await api.describe([naclId], signal)).get(naclId);
  const where = api.region ? ` in ${api.region}` : '';
  if (!view) throw new RelayError('not found', `Network ACL ${naclId} was not found${where}.`);
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
  const held = reserved(api, view.id, egress);
  // Never write a deny behind an allow for the same traffic: it would report success and do nothing.
  const n = pickNumber(view, cfg.band, egress, held, firstCoveringAllow(view, egress, cidr)?.ruleNumber);
  if (n === undefined)
    throw denyBlocker(view, cfg.band, direction, cidr) ?? bandFull(view.id, cfg.band, direction);
  held.set(n, { until: Number.POSITIVE_INFINITY });
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
    if (keep) held.set(n, { until: Date.now() + RESERVATION_GRACE_MS, cidr: cidr.text });
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
    const first = (waited ? undefined : opts.view) ?? (await describeOne(api, naclId, opts.signal));
    const view = await untilVisible(api, first, cidr, opts.signal);
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
        if (r !== 'dry-run') reservationsOf(api).get(`${naclId}|${e.egress}`)?.delete(e.ruleNumber);
        // Already gone (another caller removed it) is success, but it is not our change.
        return r === 'gone' ? undefined : change;
      }),
    );
    return results.filter((c): c is Change => c !== undefined);
  });
}

/** Re-reads spaced this far apart (ms) while a recent create of ours is not visible yet. */
const VISIBILITY_RETRIES_MS = [200, 400, 800, 1600];

/**
 * A view that shows every create of `cidr` we made within the grace period:
 * re-reads while one is missing, and refuses to answer from a view that still
 * lacks it (a remove would report success and leave the deny in place).
 */
async function untilVisible(
  api: NaclApi,
  view: NaclView,
  cidr: Cidr,
  signal: AbortSignal,
): Promise<NaclView> {
  const missing = (v: NaclView) =>
    recentCreates(api, v.id, cidr).some(
      (r) => !v.entries.some((e) => e.egress === r.egress && e.ruleNumber === r.ruleNumber),
    );
  let current = view;
  for (const wait of VISIBILITY_RETRIES_MS) {
    if (!missing(current)) return current;
    await new Promise((r) => setTimeout(r, wait));
    if (signal.aborted) break;
    current = await describeOne(api, view.id, signal);
  }
  if (!missing(current)) return current;
  throw new RelayError(
    'service unavailable',
    `The deny of ${cidr.text} written to ${view.id} moments ago is not visible in EC2 yet. Please, try again in a few seconds.`,
  );
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

function behindAllow(
  naclId: string,
  band: NaclConfig['band'],
  direction: Direction,
  cidr: Cidr,
  allow: NaclEntry,
): RelayError {
  return new RelayError(
    'state conflict',
    `Cannot deny ${cidr.text} in ${naclId} (${direction}): rule ${allow.ruleNumber} allows ${allow.cidr?.text ?? 'this traffic'} and AWS evaluates it first, ` +
      `so a deny must use a lower number, and the owned band ${band.lo}-${band.hi} has none free below ${allow.ruleNumber}. ` +
      'Move the band (NACL_RULE_BAND) below that allow rule or unblock addresses.',
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
