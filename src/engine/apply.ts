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
 *
 * The block-and-record work itself is the VAR core's (`src/var/applier.ts`),
 * shared with the relay's `/respond/trigger`; this file only turns each step
 * into an action record and an audit record, and never throws.
 */
import { audit } from '../kernel/audit.js';
import type { BlockClient } from '../kernel/block-client.js';
import { ownMessage } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { type Applier, eligibleClients, oneAtATime } from '../var/applier.js';
import type { VarPort } from '../var/ports.js';
import { BLOCKED_MARKERS, tagsAfterUnblock } from '../var/state.js';
import { callGroom, type EngineObject } from './clients.js';

export type ActionName = 'block' | 'unblock' | 'reconcile' | 'confirm' | 'groom-block' | 'groom-unblock';
export type TargetKind = EngineObject['kind'] | 'static-ips';

export interface ActionRecord {
  readonly action: ActionName;
  readonly kind: TargetKind;
  /** Vectra id; `null` for static destination IPs. */
  readonly id: number | null;
  readonly client: string | undefined;
  readonly elements: readonly string[];
  readonly outcome: 'success' | 'failure' | 'unchanged' | 'pending';
  readonly error?: string;
}

export interface ApplyContext {
  readonly port: VarPort;
  readonly applier: Applier;
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

export { oneAtATime };

export const errorText = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).slice(0, 300) || 'unknown error';

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

/** An applier result as a step result: pending says what it waits for. */
const asStep = (r: {
  elements: readonly string[];
  outcome: 'success' | 'unchanged' | 'pending';
  pending?: readonly { what: string }[];
  notice?: string;
}): StepResult => {
  const error = r.outcome === 'pending' ? r.pending?.map((p) => p.what).join('; ') : r.notice;
  return { elements: r.elements, outcome: r.outcome, ...(error ? { error } : {}) };
};

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
    await step(ctx, { action: 'block', kind: o.kind, id: o.id, client: c.name }, async () =>
      asStep(await ctx.applier.block(c, o)),
    );
  }
}

/**
 * Re-asserts the block of an object that is blocked (or pending) and still
 * matches: every enabled eligible client is asked to block it again, which
 * confirms a pending block, restores a lost element and records a new target.
 * Clients in `skip` (whose groom answer already acted this run) are left alone.
 */
export async function reconcileObject(
  ctx: ApplyContext,
  o: EngineObject,
  skip: ReadonlySet<string> = new Set(),
): Promise<void> {
  for (const c of eligibleClients(o, ctx.clients)) {
    if (skip.has(c.name)) continue;
    const pending = (o.pendingElements?.[c.name] ?? []).length > 0;
    await step(
      ctx,
      { action: pending ? 'confirm' : 'reconcile', kind: o.kind, id: o.id, client: c.name },
      async () => asStep(await ctx.applier.block(c, o)),
    );
  }
}

/**
 * Unblocks one object with every client holding elements for it (in force or
 * pending). `extraRemove` (the user's unblock and block tags on an explicit
 * unblock, VAR bug §7.6) and a left-over marker are removed only once every
 * element is released, so an unfinished unblock is retried by the next run.
 */
export async function unblockObject(
  ctx: ApplyContext,
  o: EngineObject,
  extraRemove: readonly string[],
): Promise<void> {
  let complete = true;
  const names = new Set([
    ...Object.entries(o.blockedElements)
      .filter(([, ids]) => ids.length > 0)
      .map(([n]) => n),
    ...Object.entries(o.pendingElements ?? {})
      .filter(([, ids]) => ids.length > 0)
      .map(([n]) => n),
  ]);
  for (const name of names) {
    const c = ctx.allClients.find((x) => x.name === name);
    const rec = await step(ctx, { action: 'unblock', kind: o.kind, id: o.id, client: name }, async () => {
      if (!c) throw new Error(`Block client ${name} is not configured; its elements stay blocked`);
      const r = await ctx.applier.unblock(c, o);
      complete &&= r.complete;
      return asStep(r);
    });
    if (rec.outcome === 'failure') complete = false;
  }
  if (!complete) return;
  const marker = BLOCKED_MARKERS[o.kind];
  const cleanup = (t: string[]) => tagsAfterUnblock(t, { marker, clientName: '-', ids: [], extraRemove });
  if (names.size === 0) {
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
        const r = await ctx.applier.unblock(c, host, { verb: 'Unblocked due to grooming' });
        // What was released is no longer held: the re-block below must record it again.
        held = held.filter((id) => !r.elements.includes(id));
        return asStep(r);
      });
    }
    if (d.block) {
      const stillHeld = held;
      await step(ctx, { action: 'groom-block', kind: 'host', id: host.id, client: c.name }, async () =>
        asStep(await ctx.applier.block(c, host, { verb: 'Blocked due to grooming', held: stillHeld })),
      );
    }
  }
  return acted;
}
