/**
 * Candidate selection for hosts, accounts and detections, query by query as
 * VAR does it (vectra.md §2.2–2.4), then the set algebra of `algebra.ts`.
 *
 * Differences from VAR, all on purpose:
 * - every tag query is re-checked for exact membership (the API's `tags`
 *   filter is a substring match, §7.3);
 * - group members are kept as ids; host objects are fetched only for ids that
 *   end up in `toBlock` and are not already known (VAR fetches every member);
 * - a scored host's detections are one `GET /detections?host_id=` query, not
 *   one `GET /detections/{id}` per entry of its `detection_set`;
 * - no-block detections are the candidates (matching, blocked, unblock-tagged)
 *   whose source host is a no-block member, in any state: the algebra only
 *   looks at candidates, so no per-member detection query is needed, and
 *   no-block wins even for a triaged or INFO detection;
 * - independent queries run concurrently, per-object fetches through p-limit;
 * - `sets.toReconcile` (blocked objects that still match) comes from the
 *   marker lists, so reconciling costs no extra read.
 */
import type { LimitFunction } from 'p-limit';
import type { VectraAccount, VectraDetection, VectraHost, VectraObjectKind } from '../kernel/model.js';
import type { EnginePort, EntityQuery } from '../var/ports.js';
import { BLOCKED_MARKERS, PENDING_MARKERS } from '../var/state.js';
import { type AlgebraResult, addReason, type BlockReason, computeSets, passes } from './algebra.js';
import type { Policy, ThreatCertainty } from './policy.js';

export interface KindSelection<T> {
  readonly sets: AlgebraResult<T & { id: number }>;
  /** Resolved objects for `sets.toBlock` (ids that vanished meanwhile are absent). */
  readonly toBlock: ReadonlyArray<{ readonly object: T; readonly reasons: readonly BlockReason[] }>;
  readonly counts: { readonly matching: number; readonly blocked: number; readonly noBlock: number };
}

interface Deps {
  readonly port: EnginePort;
  readonly policy: Policy;
  readonly limit: LimitFunction;
}

const withTag = <T extends { allTags: readonly string[] }>(items: readonly T[], tag: string): T[] =>
  items.filter((o) => o.allTags.includes(tag));

/**
 * Objects recorded as blocked (the marker) or with a block under way (`VAR
 * Pending` tags): both are "blocked" to the policy, so a pending block that
 * still matches is confirmed by the reconcile, and one that no longer matches
 * is cancelled by the unblock — never started again as a new block.
 */
async function blockedOrPending<T extends { id: number; allTags: readonly string[] }>(
  list: (q: { tags: string }) => Promise<T[]>,
  kind: VectraObjectKind,
): Promise<T[]> {
  const [blocked, pending] = await Promise.all([
    list({ tags: BLOCKED_MARKERS[kind] }).then((l) => withTag(l, BLOCKED_MARKERS[kind])),
    list({ tags: PENDING_MARKERS[kind] }).then((l) => withTag(l, PENDING_MARKERS[kind])),
  ]);
  return [...byId(blocked, pending).values()];
}

const byId = <T extends { id: number }>(...lists: ReadonlyArray<readonly T[]>): Map<number, T> => {
  const m = new Map<number, T>();
  for (const list of lists) for (const o of list) m.set(o.id, o);
  return m;
};

/** Scored query: `and` is one query with both bounds, `or` the union of two (VAR §2.2 2b). */
async function scored<T extends { id: number; threat: number; certainty: number }>(
  list: (q: EntityQuery) => Promise<T[]>,
  tc: ThreatCertainty,
): Promise<T[]> {
  const found =
    tc.condition === 'and'
      ? await list({ threat_gte: tc.threat, certainty_gte: tc.certainty })
      : (await Promise.all([list({ threat_gte: tc.threat }), list({ certainty_gte: tc.certainty })])).flat();
  // Re-check client-side: a brain that ignores a filter must not widen the selection.
  return [...byId(found.filter((o) => passes(o, tc, false))).values()];
}

/** Ids of scored objects; in urgency mode re-checked against the bar (the entity list is sorted, not filtered). */
const aboveUrgency = (
  items: ReadonlyArray<{ id: number; urgency: number | null }>,
  urgencyMode: boolean,
  min: number,
): number[] => items.filter((o) => !urgencyMode || (o.urgency ?? 0) >= min).map((o) => o.id);

/** Active detections of the listed types (VAR: one query per type). */
async function typedDetections(port: EnginePort, types: readonly string[]): Promise<VectraDetection[]> {
  const lists = await Promise.all(
    types.map((t) => port.listDetections({ detection_type: t, state: 'active' })),
  );
  return [...byId(...lists).values()];
}

/** Detections of scored hosts that count for blocking: active, not INFO, not triaged (§2.4 step 2c). */
async function hostDetections(deps: Deps, hostIds: Iterable<number>): Promise<VectraDetection[]> {
  const lists = await Promise.all(
    [...hostIds].map((id) =>
      deps.limit(async () =>
        // Re-checked: a brain that ignored `host_id` must not turn this into "every detection".
        (await deps.port.listDetections({ host_id: id, state: 'active' })).filter((d) => d.hostId === id),
      ),
    ),
  );
  return lists.flat().filter((d) => d.category !== 'INFO' && d.state === 'active' && !d.isTriaged);
}

/**
 * Source objects of typed detections whose scores are strictly above the bar
 * (VAR's `>` here, §7.4, unlike the `>=` queries). VAR fetches every source
 * host by id; one scored list query (a `>=` superset, filtered strictly here)
 * answers the same question in one or two calls whatever the detection count.
 */
async function strictlyAbove<T extends { id: number; threat: number; certainty: number }>(
  sourceIds: ReadonlyArray<number | null>,
  tc: ThreatCertainty,
  list: (q: EntityQuery) => Promise<T[]>,
  known: Map<number, T>,
): Promise<number[]> {
  const wanted = new Set(sourceIds.filter((id): id is number => id !== null));
  const above = (await scored(list, tc)).filter((o) => wanted.has(o.id) && passes(o, tc, true));
  for (const o of above) if (!known.has(o.id)) known.set(o.id, o);
  return above.map((o) => o.id);
}

/** Fetches the objects for `ids` not in `known`, bounded-parallel; 404s are dropped. */
async function resolve<T extends { id: number }>(
  deps: Deps,
  ids: Iterable<number>,
  known: Map<number, T>,
  get: (id: number) => Promise<T | null>,
): Promise<Map<number, T>> {
  const missing = [...ids].filter((id) => !known.has(id));
  const fetched = await Promise.all(missing.map((id) => deps.limit(() => get(id))));
  for (const o of fetched) if (o) known.set(o.id, o);
  return known;
}

function finish<T extends { id: number }>(
  sets: AlgebraResult<T>,
  known: Map<number, T>,
  counts: KindSelection<T>['counts'],
): KindSelection<T> {
  const toBlock = [...sets.toBlock]
    .map(([id, reasons]) => ({ object: known.get(id), reasons }))
    .filter((e): e is { object: T; reasons: readonly BlockReason[] } => e.object !== undefined)
    .sort((a, b) => a.object.id - b.object.id);
  return { sets, toBlock, counts };
}

export async function selectHosts(deps: Deps): Promise<KindSelection<VectraHost>> {
  const { port, policy: p } = deps;
  const urgencyMode = port.apiVersion === 'v3' && p.BLOCK_HOST_URGENCY !== null;
  const urgency = p.BLOCK_HOST_URGENCY ?? 101;
  const tc = p.BLOCK_HOST_THREAT_CERTAINTY;
  const typesTc = p.BLOCK_HOST_DETECTION_TYPES_MIN_TC_SCORE;
  const [noBlock, tagged, scoredHosts, groupIds, typed, blocked, unblockTagged] = await Promise.all([
    p.NO_BLOCK_HOST_GROUP_NAME ? port.hostGroupMemberIds(p.NO_BLOCK_HOST_GROUP_NAME) : [],
    port.listHosts({ tags: p.BLOCK_HOST_TAG }).then((l) => withTag(l, p.BLOCK_HOST_TAG)),
    // On v3 an int urgency replaces threat/certainty; 101 (VAR's default) selects nothing.
    urgencyMode
      ? urgency <= 100
        ? port.hostsByUrgency(urgency)
        : []
      : tc
        ? scored((q) => port.listHosts(q), tc)
        : [],
    p.BLOCK_HOST_GROUP_NAME ? port.hostGroupMemberIds(p.BLOCK_HOST_GROUP_NAME) : [],
    typedDetections(port, typesTc ? p.BLOCK_HOST_DETECTION_TYPES : []),
    blockedOrPending((q) => port.listHosts(q), 'host'),
    p.EXPLICIT_UNBLOCK
      ? port.listHosts({ tags: p.UNBLOCK_HOST_TAG }).then((l) => withTag(l, p.UNBLOCK_HOST_TAG))
      : null,
  ]);
  const known = byId(tagged, scoredHosts, blocked, unblockTagged ?? []);
  const matching = addReason(
    new Map(),
    tagged.map((h) => h.id),
    'tag',
  );
  addReason(matching, aboveUrgency(scoredHosts, urgencyMode, urgency), urgencyMode ? 'urgency' : 'score');
  addReason(matching, groupIds, 'group');
  if (typesTc && typed.length > 0) {
    const passing = await strictlyAbove(
      typed.map((d) => d.hostId),
      typesTc,
      (q) => port.listHosts(q),
      known,
    );
    addReason(matching, passing, 'detection-type');
  }
  const noBlockSet = new Set(noBlock);
  const sets = computeSets({
    matching,
    blocked,
    noBlock: noBlockSet,
    unblockTagged,
    groom: p.GROOM,
    reconcile: p.RECONCILE_BLOCKED,
  });
  await resolve(deps, sets.toBlock.keys(), known, (id) => port.getHost(id));
  return finish(sets, known, { matching: matching.size, blocked: blocked.length, noBlock: noBlockSet.size });
}

export async function selectAccounts(deps: Deps): Promise<KindSelection<VectraAccount>> {
  const { port, policy: p } = deps;
  const urgencyMode = port.apiVersion === 'v3' && p.BLOCK_ACCOUNT_URGENCY !== null;
  const urgency = p.BLOCK_ACCOUNT_URGENCY ?? 101;
  const tc = p.BLOCK_ACCOUNT_THREAT_CERTAINTY;
  const typesTc = p.BLOCK_ACCOUNT_DETECTION_TYPES_MIN_TC_SCORE;
  const [noBlock, tagged, scoredAccounts, group, typed, blocked, unblockTagged] = await Promise.all([
    p.NO_BLOCK_ACCOUNT_GROUP_NAME ? port.accountGroupMembers(p.NO_BLOCK_ACCOUNT_GROUP_NAME) : [],
    port.listAccounts({ tags: p.BLOCK_ACCOUNT_TAG }).then((l) => withTag(l, p.BLOCK_ACCOUNT_TAG)),
    urgencyMode
      ? urgency <= 100
        ? port.accountsByUrgency(urgency)
        : []
      : tc
        ? scored((q) => port.listAccounts(q), tc)
        : [],
    p.BLOCK_ACCOUNT_GROUP_NAME ? port.accountGroupMembers(p.BLOCK_ACCOUNT_GROUP_NAME) : [],
    typedDetections(port, typesTc ? p.BLOCK_ACCOUNT_DETECTION_TYPES : []),
    blockedOrPending((q) => port.listAccounts(q), 'account'),
    p.EXPLICIT_UNBLOCK
      ? port.listAccounts({ tags: p.UNBLOCK_ACCOUNT_TAG }).then((l) => withTag(l, p.UNBLOCK_ACCOUNT_TAG))
      : null,
  ]);
  const known = byId(tagged, scoredAccounts, group, blocked, unblockTagged ?? []);
  const matching = addReason(
    new Map(),
    tagged.map((a) => a.id),
    'tag',
  );
  addReason(matching, aboveUrgency(scoredAccounts, urgencyMode, urgency), urgencyMode ? 'urgency' : 'score');
  addReason(
    matching,
    group.map((a) => a.id),
    'group',
  );
  if (typesTc && typed.length > 0) {
    // The detection's source account (VAR's "wrong id" bug in this path was fixed upstream).
    const passing = await strictlyAbove(
      typed.map((d) => d.accountId),
      typesTc,
      (q) => port.listAccounts(q),
      known,
    );
    addReason(matching, passing, 'detection-type');
  }
  const noBlockSet = new Set(noBlock.map((a) => a.id));
  const sets = computeSets({
    matching,
    blocked,
    noBlock: noBlockSet,
    unblockTagged,
    reconcile: p.RECONCILE_BLOCKED,
  });
  await resolve(deps, sets.toBlock.keys(), known, (id) => port.getAccount(id));
  return finish(sets, known, { matching: matching.size, blocked: blocked.length, noBlock: noBlockSet.size });
}

export async function selectDetections(deps: Deps): Promise<KindSelection<VectraDetection>> {
  const { port, policy: p } = deps;
  const hostTc = p.EXTERNAL_BLOCK_HOST_TC;
  const [noBlockHosts, tagged, typed, scoredHosts, blocked, unblockTagged] = await Promise.all([
    p.NO_BLOCK_HOST_GROUP_NAME ? port.hostGroupMemberIds(p.NO_BLOCK_HOST_GROUP_NAME) : [],
    port
      .listDetections({ tags: p.EXTERNAL_BLOCK_DETECTION_TAG })
      .then((l) => withTag(l, p.EXTERNAL_BLOCK_DETECTION_TAG)),
    typedDetections(port, p.EXTERNAL_BLOCK_DETECTION_TYPES),
    hostTc ? scored((q) => port.listHosts(q), hostTc) : [],
    blockedOrPending((q) => port.listDetections(q), 'detection'),
    p.EXPLICIT_UNBLOCK
      ? port
          .listDetections({ tags: p.EXTERNAL_UNBLOCK_DETECTION_TAG })
          .then((l) => withTag(l, p.EXTERNAL_UNBLOCK_DETECTION_TAG))
      : null,
  ]);
  const onScoredHosts = await hostDetections(
    deps,
    scoredHosts.map((h) => h.id),
  );
  const known = byId(tagged, typed, onScoredHosts, blocked, unblockTagged ?? []);
  const matching = addReason(
    new Map(),
    tagged.map((d) => d.id),
    'tag',
  );
  addReason(
    matching,
    typed.map((d) => d.id),
    'detection-type',
  );
  addReason(
    matching,
    onScoredHosts.map((d) => d.id),
    'host-score',
  );
  // No-block wins: every candidate whose source host is in the no-block group,
  // whatever its state, triage or category (VAR keeps only the ones that count
  // for blocking, so a triaged or INFO detection of a protected host that
  // carries the block tag or a blocked type would still be blocked).
  const protectedHosts = new Set(noBlockHosts);
  const noBlockSet = new Set(
    [...known.values()].filter((d) => d.hostId !== null && protectedHosts.has(d.hostId)).map((d) => d.id),
  );
  const sets = computeSets({
    matching,
    blocked,
    noBlock: noBlockSet,
    unblockTagged,
    reconcile: p.RECONCILE_BLOCKED,
  });
  return finish(sets, known, { matching: matching.size, blocked: blocked.length, noBlock: noBlockSet.size });
}
