/**
 * Applies one object decision through the block clients and writes the VAR
 * tag state back to Vectra, exactly like the relay's respond: marker tag plus
 * one `VAR ID:<client name>:<id>` tag per element, every other tag kept, and a
 * note per client. Each (object, client) step leaves one action record and one
 * audit record (source `engine`), whatever happened.
 *
 * Crash safety: a client call happens before its tag write. If the write
 * fails, the object still looks unblocked to the next run, which blocks it
 * again; clients are idempotent (stable element ids, the `BlockClient`
 * contract), so that run completes the state instead of doubling it. The same
 * contract lets the engine ask a client to block an object it already holds
 * (`reconcileObject`): a lost element comes back, a new target (a NACL added
 * to the claims) is recorded, and an intact block costs no write. Each (object,
 * client) step — the client call, its tag write and its note — is serialised
 * per client: firewall-style clients do read-modify-write on shared rule
 * lists, and decide whether a shared element may go from the other objects'
 * tags, so a tag write must land before the next call to that client.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { audit } from '../kernel/audit.js';
import { ownMessage } from '../kernel/errors.js';
import { withKeyLock } from '../kernel/keyed-lock.js';
import type { Logger } from '../kernel/logger.js';
import type { BlockClient } from '../kernel/vendor.js';
import { noteText } from '../var/applier.js';
import { BLOCKED_MARKERS, tagsAfterBlock, tagsAfterUnblock } from '../var/state.js';
import { callBlock, callGroom, callUnblock, type EngineObject, eligibleClients } from './clients.js';
import type { EnginePort } from './port.js';

export type ActionName = 'block' | 'unblock' | 'reconcile' | 'groom-block' | 'groom-unblock';
export type TargetKind = EngineObject['kind'] | 'static-ips';

export interface ActionRecord {
  readonly action: ActionName;
  readonly kind: TargetKind;
  /** Vectra id; `null` for static destination IPs. */
  readonly id: number | null;
  readonly client: string | undefined;
  readonly elements: readonly string[];
  readonly outcome: 'success' | 'failure' | 'unchanged';
  readonly error?: string;
}

export interface ApplyContext {
  readonly port: EnginePort;
  /** Clients the policy enables (block, groom). */
  readonly clients: readonly BlockClient[];
  /** Every client built from the claims: an element is released by the client that holds it. */
  readonly allClients: readonly BlockClient[];
  readonly log: Logger;
  readonly now: () => Date;
  readonly moduleInstanceId: string | undefined;
  readonly actions: ActionRecord[];
}

type StepResult = Pick<ActionRecord, 'elements' | 'outcome' | 'error'>;

const serial = new WeakMap<BlockClient, LimitFunction>();
/** Runs `fn` with no other call to the same client in flight. */
export function oneAtATime<T>(client: BlockClient, fn: () => Promise<T>): Promise<T> {
  let limit = serial.get(client);
  if (!limit) {
    limit = pLimit(1);
    serial.set(client, limit);
  }
  return limit(fn);
}

export const errorText = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).slice(0, 300) || 'unknown error';

/** Note text, as the relay's respond writes it, with the engine as source. */
export const engineNote = (verb: string, when: Date, client: string): string =>
  noteText(verb, 'relay engine', when, client);

/** Runs one step, records it and audits it; never throws. */
export async function step(
  ctx: ApplyContext,
  target: { action: ActionName; kind: TargetKind; id: number | null; client: string | undefined },
  fn: () => Promise<StepResult>,
): Promise<ActionRecord> {
  const started = performance.now();
  let result: StepResult;
  let caught: unknown;
  try {
    result = await fn();
  } catch (err) {
    caught = err;
    result = { elements: [], outcome: 'failure', error: errorText(err) };
  }
  const record: ActionRecord = { ...target, ...result };
  ctx.actions.push(record);
  audit(ctx.log, {
    action: `engine-${target.action}-${target.kind}`,
    observable:
      target.id === null
        ? { type: 'ip_list', value: result.elements.join(',').slice(0, 500) }
        : { type: `vectra_${target.kind}`, value: String(target.id) },
    client: target.client,
    elements: result.elements,
    outcome: result.outcome,
    // The audit trail keeps our own words only, never upstream text.
    error: caught !== undefined ? ownMessage(caught) : result.error,
    moduleInstanceId: ctx.moduleInstanceId,
    durationMs: Math.round(performance.now() - started),
    source: 'engine',
  });
  return record;
}

/** Writes a note; a failed note is reported but does not undo the (already consistent) tags. */
async function note(ctx: ApplyContext, o: EngineObject, text: string): Promise<string | undefined> {
  try {
    await ctx.port.addNote(o.kind, o.id, text);
    return undefined;
  } catch (err) {
    return `note not written: ${errorText(err)}`;
  }
}

/**
 * Asks the client to block `o` and records the ids it does not hold yet. The
 * client is asked even when the tags say it holds elements (block operations
 * are idempotent, as in the relay's `blockAndRecord`): that repairs an element
 * lost at the client and completes a block whose targets grew. When every id
 * answered is already held nothing is written, except a missing marker (a
 * half-edited state). `held` defaults to the object's tags as listed.
 */
async function blockWith(
  ctx: ApplyContext,
  o: EngineObject,
  c: BlockClient,
  verb: string,
  held: readonly string[] = o.blockedElements[c.name] ?? [],
): Promise<StepResult> {
  // Blocks run before any release in a run (run.ts), so only the client call needs serialising.
  const marker = BLOCKED_MARKERS[o.kind];
  const ids = await oneAtATime(c, () => callBlock(c, o));
  if (ids.length === 0 && held.length === 0)
    return { elements: [], outcome: 'unchanged', error: 'Did not find any elements to block' };
  if (ids.every((id) => held.includes(id))) {
    if (!o.allTags.includes(marker)) {
      await ctx.port.updateTags(o.kind, o.id, (t) => (t.includes(marker) ? t : [...t, marker]));
    }
    return { elements: [...held], outcome: 'unchanged' };
  }
  const u = await ctx.port.updateTags(o.kind, o.id, (t) =>
    tagsAfterBlock(t, { marker, clientName: c.name, ids }),
  );
  const error = u.changed ? await note(ctx, o, engineNote(verb, ctx.now(), c.name)) : undefined;
  return { elements: ids, outcome: u.changed ? 'success' : 'unchanged', ...(error ? { error } : {}) };
}

/**
 * Runs `fn` holding a lock per element id (taken in sorted order, so two
 * releases sharing several elements cannot deadlock). Releases of unrelated
 * objects still run in parallel; only those sharing an element queue.
 */
function withElementLocks<T>(client: string, ids: readonly string[], fn: () => Promise<T>): Promise<T> {
  const keys = [...new Set(ids)].sort().map((id) => `engine-release|${client}|${id}`);
  const hold = (i: number): Promise<T> => {
    const key = keys[i];
    return key === undefined ? fn() : withKeyLock(key, () => hold(i + 1));
  };
  return hold(0);
}

/**
 * Releases this client's elements of `o`. The client call AND the tag write
 * hold the elements' locks: a shared element (a NACL deny two detections rely
 * on) is kept while another object's tag still holds it, so two releases
 * interleaving call / call / write / write would each see the other's tag,
 * both keep the deny, then both drop their tags — an orphan deny nothing
 * records. Serialised per element, the second release sees the first one's
 * tag gone and removes the deny.
 */
async function unblockWith(
  ctx: ApplyContext,
  o: EngineObject,
  c: BlockClient,
  verb: string,
): Promise<StepResult & { complete: boolean }> {
  const held = o.blockedElements[c.name] ?? [];
  return withElementLocks(c.name, held, async () => {
    const done = await oneAtATime(c, () => callUnblock(c, o));
    const complete = held.every((id) => done.includes(id));
    if (done.length === 0) {
      return { elements: [], outcome: 'unchanged', error: 'The client unblocked nothing', complete };
    }
    const marker = BLOCKED_MARKERS[o.kind];
    // Only this client's ids go: other clients' VAR ID tags stay (VAR bug §7.5).
    const u = await ctx.port.updateTags(o.kind, o.id, (t) =>
      tagsAfterUnblock(t, { marker, clientName: c.name, ids: done }),
    );
    const error = u.changed ? await note(ctx, o, engineNote(verb, ctx.now(), c.name)) : undefined;
    return {
      elements: done,
      outcome: u.changed ? 'success' : 'unchanged',
      complete,
      ...(error ? { error } : {}),
    };
  });
}

/** Blocks one object with every eligible client, in order. */
export async function blockObject(ctx: ApplyContext, o: EngineObject): Promise<void> {
  const clients = eligibleClients(o, ctx.clients);
  if (clients.length === 0) {
    await step(ctx, { action: 'block', kind: o.kind, id: o.id, client: undefined }, async () => ({
      elements: [],
      outcome: 'unchanged',
      error: 'No enabled client may block this object',
    }));
    return;
  }
  for (const c of clients) {
    await step(ctx, { action: 'block', kind: o.kind, id: o.id, client: c.name }, () =>
      blockWith(ctx, o, c, 'Blocked'),
    );
  }
}

/**
 * Re-asserts the block of an object that is blocked and still matches: every
 * enabled eligible client is asked to block it again (`blockWith`). Clients in
 * `skip` (the ones whose groom answer already acted on it this run) are left
 * alone. An object no enabled client may block leaves no record: there is
 * nothing to repair through the clients this run uses.
 */
export async function reconcileObject(
  ctx: ApplyContext,
  o: EngineObject,
  skip: ReadonlySet<string> = new Set(),
): Promise<void> {
  for (const c of eligibleClients(o, ctx.clients)) {
    if (skip.has(c.name)) continue;
    await step(ctx, { action: 'reconcile', kind: o.kind, id: o.id, client: c.name }, () =>
      blockWith(ctx, o, c, 'Blocked'),
    );
  }
}

/**
 * Unblocks one object with every client holding elements for it. `extraRemove`
 * (the user's unblock and block tags on an explicit unblock, VAR bug §7.6) and
 * a left-over marker are removed only once every element is released, so an
 * unfinished unblock is retried by the next run.
 */
export async function unblockObject(
  ctx: ApplyContext,
  o: EngineObject,
  extraRemove: readonly string[],
): Promise<void> {
  let complete = true;
  const held = Object.entries(o.blockedElements).filter(([, ids]) => ids.length > 0);
  for (const [name] of held) {
    const c = ctx.allClients.find((x) => x.name === name);
    const rec = await step(ctx, { action: 'unblock', kind: o.kind, id: o.id, client: name }, async () => {
      if (!c) throw new Error(`Block client ${name} is not configured; its elements stay blocked`);
      const r = await unblockWith(ctx, o, c, 'Unblocked');
      complete &&= r.complete;
      return { elements: r.elements, outcome: r.outcome, ...(r.error ? { error: r.error } : {}) };
    });
    if (rec.outcome === 'failure') complete = false;
  }
  if (!complete) return;
  const marker = BLOCKED_MARKERS[o.kind];
  const cleanup = (t: string[]) => tagsAfterUnblock(t, { marker, clientName: '-', ids: [], extraRemove });
  if (held.length === 0) {
    // Nothing recorded as blocked (a bare marker, or an explicit unblock of an unblocked object).
    await step(ctx, { action: 'unblock', kind: o.kind, id: o.id, client: undefined }, async () => {
      const u = await ctx.port.updateTags(o.kind, o.id, cleanup);
      return {
        elements: [],
        outcome: u.changed ? 'success' : 'unchanged',
        error: 'No blocked elements recorded',
      };
    });
  } else if (extraRemove.length > 0) {
    try {
      await ctx.port.updateTags(o.kind, o.id, cleanup);
    } catch (err) {
      ctx.log.warn('engine: unblock tag cleanup failed; the next run retries', {
        id: o.id,
        error: errorText(err),
      });
    }
  }
}

/**
 * VAR's re-grooming (hosts only): asks each client holding elements whether to
 * re-block. Answers the names of the clients that acted (their groom decision
 * replaces the reconcile step for this host).
 */
export async function groomHost(
  ctx: ApplyContext,
  host: Extract<EngineObject, { kind: 'host' }>,
): Promise<Set<string>> {
  const acted = new Set<string>();
  for (const c of ctx.clients.filter((x) => (host.blockedElements[x.name] ?? []).length > 0)) {
    const d = await oneAtATime(c, () => callGroom(c, host)).catch((err: unknown) => {
      ctx.log.warn('engine: groom check failed', { id: host.id, client: c.name, error: errorText(err) });
      return { block: false, unblock: false };
    });
    if (d.block || d.unblock) acted.add(c.name);
    let held = host.blockedElements[c.name] ?? [];
    if (d.unblock) {
      await step(ctx, { action: 'groom-unblock', kind: 'host', id: host.id, client: c.name }, async () => {
        const { complete: _complete, ...r } = await unblockWith(ctx, host, c, 'Unblocked due to grooming');
        // What was released is no longer held: the re-block below must record it again.
        if (r.outcome !== 'failure') held = held.filter((id) => !r.elements.includes(id));
        return r;
      });
    }
    if (d.block) {
      const stillHeld = held;
      await step(ctx, { action: 'groom-block', kind: 'host', id: host.id, client: c.name }, () =>
        blockWith(ctx, host, c, 'Blocked due to grooming', stillHeld),
      );
    }
  }
  return acted;
}
