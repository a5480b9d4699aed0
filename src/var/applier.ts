/**
 * The one place that blocks or unblocks a Vectra object through a block
 * client and records it in Vectra the way VAR does: the `VAR … Blocked`
 * marker plus one `VAR ID:<client>:<id>` tag per element (every other tag
 * kept, other clients' ids kept) and a note. `/respond/trigger` and the
 * engine both use it; they differ only in what they do with a failure (the
 * relay answers it, the engine records it and goes on).
 *
 * - Order: the client acts first, then the tags are written. If the write
 *   fails, the object still looks unblocked (or still blocked) to the next
 *   call, which repeats the client's idempotent operation and completes it.
 * - Pending: elements a client answers as pending get `VAR Pending` tags and a
 *   note, never the marker; `confirm` (the next trigger, the engine's
 *   reconcile) turns them into `VAR ID` tags or drops them with the reason.
 * - Guard: no-block objects and addresses never reach a client, and an
 *   element another record holds is kept (only this record's tag goes).
 * - Serialisation: calls to one client instance run one at a time (firewall
 *   clients read-modify-write shared groups), and a release holds a lock per
 *   element across the client call AND the tag write: two releases of objects
 *   sharing an element would otherwise each see the other's tag, both keep
 *   the element, then both drop their tags, leaving an orphan nothing records.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import {
  type BlockAnswer,
  type BlockClient,
  type BlockTarget,
  type PendingElement,
  toBlockAnswer,
  toIdList,
} from '../kernel/block-client.js';
import { overlaps, parseCidr } from '../kernel/cidr.js';
import { invalidArgument, RelayError, toWireError } from '../kernel/errors.js';
import type { IpGuard, ProtectedHost } from '../kernel/guard.js';
import { withKeyLock } from '../kernel/keyed-lock.js';
import type { Logger } from '../kernel/logger.js';
import type { VectraDetection, VectraHost, VectraObject } from '../kernel/model.js';
import type { VarPort } from './ports.js';
import {
  BLOCKED_MARKERS,
  tagsAfterConfirm,
  tagsAfterPending,
  tagsAfterUnblock,
  withPendingMarker,
} from './state.js';

export type NoteSource = 'relay' | 'relay engine';
export type ApplyOutcome = 'success' | 'unchanged' | 'pending' | 'failure';

export interface ApplyResult {
  readonly elements: readonly string[];
  readonly outcome: Exclude<ApplyOutcome, 'failure'>;
  /** Elements still pending, with what confirms them. */
  readonly pending?: readonly PendingElement[];
  /** A notice that does not undo the result (a note not written, elements kept for other records). */
  readonly notice?: string;
}

export interface ApplierOptions {
  readonly port: Pick<VarPort, 'updateTags' | 'addNote'>;
  readonly guard: IpGuard | undefined;
  readonly source: NoteSource;
  readonly log: Logger;
  readonly now?: () => Date;
}

export interface BlockOptions {
  /** Note verb (`Blocked`, `Blocked due to grooming`). */
  readonly verb?: string;
  /** The user's block tag a manual block adds, so VAR's loop and the engine keep the object blocked. */
  readonly holdTag?: string;
  /** Elements to count as already held (default: the object's tags for this client). */
  readonly held?: readonly string[];
}

export interface UnblockOptions {
  readonly verb?: string;
  /** Removed with the last client's elements (see `BlockOptions.holdTag`). */
  readonly holdTag?: string;
}

const label = (o: VectraObject): string =>
  o.kind === 'detection' ? `detection ${o.id}` : `${o.kind} ${o.name}`;

/** `2026-11-25 08:20:00 UTC` */
export const utcStamp = (now = new Date()): string =>
  `${now.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** `Blocked via relay on 2026-11-25 08:20:00 UTC (AWS NACL Client)` */
export const noteText = (verb: string, source: NoteSource, when: Date, client: string): string =>
  `${verb} via ${source} on ${utcStamp(when)} (${client})`;

/** Clients that may act on an object: the right capability, and allowed by its `client:<module>` tags. */
export function eligibleClients<
  T extends { module: string; capabilities: ReadonlySet<string> | readonly string[] },
>(o: Pick<VectraObject, 'kind' | 'clientRestrictions'>, clients: readonly T[]): T[] {
  const only = new Set(o.clientRestrictions);
  return clients.filter((c) => {
    const caps = c.capabilities;
    const capable = caps instanceof Set ? caps.has(o.kind) : (caps as readonly string[]).includes(o.kind);
    return capable && (only.size === 0 || only.has(c.module.toLowerCase()));
  });
}

const serial = new WeakMap<BlockClient, LimitFunction>();
/** Runs `fn` with no other call to the same client instance in flight. */
export function oneAtATime<T>(client: BlockClient, fn: () => Promise<T>): Promise<T> {
  let limit = serial.get(client);
  if (!limit) {
    limit = pLimit(1);
    serial.set(client, limit);
  }
  return limit(fn);
}

/** Runs `fn` holding a lock per element (sorted, so overlapping sets cannot deadlock). */
export function withElementLocks<T>(
  client: string,
  ids: readonly string[],
  fn: () => Promise<T>,
): Promise<T> {
  const keys = [...new Set(ids)].sort().map((id) => `var-element|${client}|${id}`);
  const hold = (i: number): Promise<T> => {
    const key = keys[i];
    return key === undefined ? fn() : withKeyLock(key, () => hold(i + 1));
  };
  return hold(0);
}

const mine = (o: VectraObject, client: BlockClient) => ({
  blocked: o.blockedElements[client.name] ?? [],
  pending: o.pendingElements?.[client.name] ?? [],
});

/** The object with only `blocked`/`pending` as this client's elements (what the client may release). */
function scoped<T extends VectraObject>(
  o: T,
  client: BlockClient,
  blocked: readonly string[],
  pending: readonly string[],
): T {
  return {
    ...o,
    blockedElements: { ...o.blockedElements, [client.name]: blocked },
    pendingElements: { ...(o.pendingElements ?? {}), [client.name]: pending },
  };
}

export class Applier {
  private readonly now: () => Date;

  constructor(private readonly opts: ApplierOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Blocks `o` through `client` and records what is in force (and what is
   * pending). The client is asked even when the tags say "blocked": block
   * operations are idempotent, so this completes a block whose targets grew
   * and repairs a lost element or marker, at no write otherwise. Throws a
   * `RelayError` when nothing could be blocked or recording failed.
   */
  async block(client: BlockClient, o: VectraObject, opts: BlockOptions = {}): Promise<ApplyResult> {
    await this.refuseNoBlock(o);
    const { pending: heldPending } = mine(o, client);
    if (heldPending.length > 0 && client.confirm) {
      const confirmed = await this.confirm(client, o);
      if (confirmed.outcome === 'pending') return confirmed;
    }
    const target = await this.withoutProtected(o);
    const answer = await oneAtATime(client, () => callBlock(client, target));
    return this.recordBlock(client, o, answer, opts);
  }

  private async recordBlock(
    client: BlockClient,
    o: VectraObject,
    answer: BlockAnswer,
    opts: BlockOptions,
  ): Promise<ApplyResult> {
    const held = opts.held ?? mine(o, client).blocked;
    const heldPending = mine(o, client).pending;
    const marker = BLOCKED_MARKERS[o.kind];
    const newIds = answer.inForce.filter((id) => !held.includes(id));
    const newPending = answer.pending.filter((p) => !heldPending.includes(p.id));
    if (answer.inForce.length === 0 && answer.pending.length === 0 && held.length === 0) {
      throw new RelayError('not found', `${client.name} found nothing to block for ${label(o)}.`);
    }
    const hold = (tags: string[]) =>
      opts.holdTag && !tags.includes(opts.holdTag) ? [...tags, opts.holdTag] : tags;
    const stillPending = answer.pending.length > 0;
    if (newIds.length === 0 && newPending.length === 0) {
      const inForce = answer.inForce.length > 0 || held.length > 0;
      const missingMarker = inForce && !o.allTags.includes(marker);
      if (missingMarker || (opts.holdTag && !o.allTags.includes(opts.holdTag))) {
        await this.opts.port.updateTags(o.kind, o.id, (t) =>
          hold(missingMarker && !t.includes(marker) ? [...t, marker] : t),
        );
      }
      return stillPending
        ? { elements: [...held], outcome: 'pending', pending: answer.pending }
        : { elements: [...held], outcome: 'unchanged' };
    }
    const verb = opts.verb ?? 'Blocked';
    const what = `${stillPending ? 'Started blocking' : verb} ${label(o)} via ${client.name}`;
    await this.record(
      o,
      (tags) => {
        const blocked = tagsAfterConfirm(tags, {
          marker,
          clientName: client.name,
          ids: newIds,
          resolved: newIds,
        });
        return hold(tagsAfterPending(blocked, { clientName: client.name, ids: newPending.map((p) => p.id) }));
      },
      newPending.length > 0 && newIds.length === 0
        ? `${noteText('Block pending', this.opts.source, this.now(), client.name)}: ${newPending.map((p) => p.what).join('; ')}`
        : noteText(verb, this.opts.source, this.now(), client.name),
      what,
    );
    return stillPending
      ? { elements: newIds, outcome: 'pending', pending: answer.pending }
      : { elements: newIds, outcome: 'success' };
  }

  /**
   * Asks the client where `o`'s pending elements stand and records it: in
   * force → `VAR ID` tags and the marker; failed → pending tags dropped, the
   * reason noted (the next block starts again); still pending → nothing.
   */
  async confirm(client: BlockClient, o: VectraObject): Promise<ApplyResult> {
    const { pending } = mine(o, client);
    if (pending.length === 0 || !client.confirm) return { elements: [], outcome: 'unchanged' };
    const confirmFn = client.confirm.bind(client);
    // The client sees the object as it saw it when blocking: no address of a no-block host.
    const target = (await this.withoutProtected(o)) as BlockTarget;
    const answer = await oneAtATime(client, () => confirmFn(target, pending));
    const inForce = toIdList(answer.inForce, client.name);
    const failed = answer.failed.filter((f) => pending.includes(f.id));
    const stillPending = answer.pending.filter((p) => pending.includes(p.id));
    const resolved = pending.filter((id) => !stillPending.some((p) => p.id === id));
    if (resolved.length === 0) return { elements: [], outcome: 'pending', pending: stillPending };
    const marker = BLOCKED_MARKERS[o.kind];
    const reasons = failed.map((f) => f.reason.slice(0, 200)).join('; ');
    await this.record(
      o,
      (tags) => tagsAfterConfirm(tags, { marker, clientName: client.name, ids: inForce, resolved }),
      inForce.length > 0
        ? noteText('Block confirmed', this.opts.source, this.now(), client.name)
        : `${noteText('Block failed', this.opts.source, this.now(), client.name)}: ${reasons}`,
      `Confirmed the block of ${label(o)} via ${client.name}`,
    );
    if (stillPending.length > 0) return { elements: inForce, outcome: 'pending', pending: stillPending };
    if (inForce.length === 0) {
      throw new RelayError('state conflict', `${client.name} could not complete the block: ${reasons}`);
    }
    return { elements: inForce, outcome: 'success' };
  }

  /**
   * Releases this client's elements of `o` (in force and pending). Elements
   * another record holds are kept at the client; only this record's tags go.
   * `complete` is false when some element could not be released (its tag stays).
   */
  async unblock(
    client: BlockClient,
    o: VectraObject,
    opts: UnblockOptions = {},
  ): Promise<ApplyResult & { complete: boolean }> {
    const { blocked, pending } = mine(o, client);
    const all = [...blocked, ...pending];
    if (all.length === 0) return { elements: [], outcome: 'unchanged', complete: true };
    return withElementLocks(client.name, all, async () => {
      const shared = new Set<string>();
      for (const id of blocked) {
        const owners = await this.holders(client, o, id);
        if (owners.length > 0) {
          this.opts.log.info({
            message: 'block element kept: still relied on',
            client: client.name,
            id,
            by: owners.map((x) => x.label),
          });
          shared.add(id);
        }
      }
      const release = scoped(
        o,
        client,
        blocked.filter((id) => !shared.has(id)),
        pending,
      );
      const answered =
        release.blockedElements[client.name]?.length || pending.length
          ? await oneAtATime(client, () => callUnblock(client, release))
          : [];
      const done = [...new Set([...answered.filter((id) => all.includes(id)), ...shared])];
      if (done.length === 0) {
        throw new RelayError(
          'not found',
          `${client.name} could not find what it blocked for ${label(o)}; its VAR ID tags were kept.`,
        );
      }
      const marker = BLOCKED_MARKERS[o.kind];
      await this.record(
        o,
        (tags) => {
          const next = tagsAfterUnblock(tags, { marker, clientName: client.name, ids: done });
          const stillHeld = next.includes(marker) || next.some((t) => t.startsWith('VAR Pending:'));
          return opts.holdTag && !stillHeld ? next.filter((t) => t !== opts.holdTag) : next;
        },
        noteText(opts.verb ?? 'Unblocked', this.opts.source, this.now(), client.name),
        `Unblocked ${label(o)} via ${client.name}`,
      );
      const complete = all.every((id) => done.includes(id));
      return {
        elements: done,
        outcome: 'success',
        complete,
        ...(shared.size > 0
          ? { notice: `${shared.size} element(s) kept at ${client.name} for other records` }
          : {}),
      };
    });
  }

  /** The no-block guard for whole objects (hosts and accounts); fails closed. */
  async refuseNoBlock(o: VectraObject): Promise<void> {
    const g = this.opts.guard;
    if (!g || o.kind === 'detection') return;
    const noBlock = o.kind === 'host' ? await g.isNoBlockHost(o.id) : await g.isNoBlockAccount(o.id);
    if (noBlock)
      throw invalidArgument(`The ${o.kind} ${o.name} is in a no-block group and is never blocked.`);
  }

  /** The object as a client may see it: no address of a no-block host among its IPs. */
  private async withoutProtected(o: VectraObject): Promise<VectraObject> {
    const g = this.opts.guard;
    if (!g) return o;
    if (o.kind === 'host') {
      const hit = o.ip ? await coveringHost(g, o.ip) : undefined;
      if (hit)
        throw invalidArgument(`${o.ip} belongs to host ${hit.name} in the no-block group "${hit.group}".`);
      return o;
    }
    if (o.kind === 'detection') {
      const kept: string[] = [];
      for (const ip of o.dstIps) {
        const hit = await coveringHost(g, ip);
        if (hit)
          this.opts.log.warn({ message: 'no-block address left out', detection: o.id, host: hit.name });
        else kept.push(ip);
      }
      return { ...o, dstIps: kept } satisfies VectraDetection;
    }
    return o;
  }

  /** Static destination IPs a client may be given: no-block addresses left out (and logged). */
  async allowedStaticIps(ips: readonly string[]): Promise<string[]> {
    const g = this.opts.guard;
    if (!g) return [...ips];
    const out: string[] = [];
    for (const ip of ips) {
      const hit = await coveringHost(g, ip);
      if (hit)
        this.opts.log.warn({ message: 'no-block address left out of the static list', host: hit.name });
      else out.push(ip);
    }
    return out;
  }

  private async holders(client: BlockClient, o: VectraObject, id: string) {
    const g = this.opts.guard;
    if (!g) return [];
    return g.holders(client.name, id, client.ipOf?.(id), { kind: o.kind, id: o.id });
  }

  private async record(
    o: VectraObject,
    mutate: (tags: string[]) => string[],
    note: string,
    what: string,
  ): Promise<void> {
    try {
      await this.opts.port.updateTags(o.kind, o.id, (tags) => withPendingMarker(mutate(tags), o.kind));
    } catch (err) {
      const reason = toWireError(err).message;
      throw new RelayError(
        err instanceof RelayError ? err.code : 'unknown',
        `${what}, but recording it in Vectra Detect failed (${reason}). Run the action again to complete the record.`,
        { cause: err },
      );
    }
    try {
      await this.opts.port.addNote(o.kind, o.id, note);
    } catch (err) {
      // The tags are the state; a missing note loses only prose. Say so in the log.
      this.opts.log.warn('note not added', { kind: o.kind, id: o.id, reason: toWireError(err).message });
    }
  }
}

/** The no-block host whose address `ip` (an address or CIDR) covers, if any; fails closed. */
async function coveringHost(g: IpGuard, ip: string): Promise<ProtectedHost | undefined> {
  const c = parseCidr(ip);
  if (!c) return undefined;
  return (await g.protectedHosts()).find((h) => {
    const host = parseCidr(h.ip);
    return host !== undefined && overlaps(c, host);
  });
}

/** The client's block operation for this kind, its answer checked (VAR bug §7.7). */
export async function callBlock(client: BlockClient, o: VectraObject): Promise<BlockAnswer> {
  const answer: unknown =
    o.kind === 'host'
      ? await client.blockHost(o as VectraHost)
      : o.kind === 'account'
        ? await client.blockAccount(o)
        : await client.blockDetection(o as VectraDetection);
  return toBlockAnswer(answer, client.name);
}

/** The client's unblock operation; `null`/`undefined` means "nothing unblocked", as in VAR. */
export async function callUnblock(client: BlockClient, o: VectraObject): Promise<string[]> {
  const answer: unknown =
    o.kind === 'host'
      ? await client.unblockHost(o as VectraHost)
      : o.kind === 'account'
        ? await client.unblockAccount(o)
        : await client.unblockDetection(o as VectraDetection);
  return answer === null || answer === undefined ? [] : toIdList(answer, client.name);
}
