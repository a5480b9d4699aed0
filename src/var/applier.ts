/**
 * Block or unblock one Vectra object through one block client and record it
 * in Vectra the way VAR does: the `VAR … Blocked` marker plus one
 * `VAR ID:<client>:<id>` tag per element (every other tag kept, other
 * clients' ids kept), and a note. Shared by `/respond/trigger` and the engine.
 *
 * Order matters for "nothing is lost": the client acts first, then the tags
 * are written. If the tag write fails, the error says so and the object still
 * looks unblocked (or still blocked) to the next call, which repeats the
 * client's idempotent operation and completes the record.
 */

import type { BlockClient } from '../kernel/block-client.js';
import { toBlockAnswer, toIdList } from '../kernel/block-client.js';
import { RelayError, toWireError } from '../kernel/errors.js';
import type { VectraAccount, VectraDetection, VectraHost, VectraObject } from '../kernel/model.js';
import type { VectraClient } from '../vendors/vectra/client.js';
import { BLOCKED_MARKERS, tagsAfterBlock, tagsAfterUnblock } from './state.js';

export interface ApplyResult {
  readonly ids: readonly string[];
  /** True when the state was already as asked and nothing was written. */
  readonly unchanged: boolean;
}

export type NoteSource = 'relay' | 'relay engine';

const label = (o: VectraObject): string =>
  o.kind === 'detection' ? `detection ${o.id}` : `${o.kind} ${o.name}`;

/** `2026-11-25 08:20:00 UTC` */
export const utcStamp = (now = new Date()): string =>
  `${now.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** Clients that may act on an object: the right capability, and allowed by its `client:<module>` tags. */
export function eligibleClients<
  T extends { module: string; capabilities: ReadonlySet<string> | readonly string[] },
>(o: Pick<VectraObject, 'kind' | 'clientRestrictions'>, clients: readonly T[]): T[] {
  const only = new Set(o.clientRestrictions);
  return clients.filter((c) => {
    const capable =
      c.capabilities instanceof Set
        ? c.capabilities.has(o.kind)
        : (c.capabilities as readonly string[]).includes(o.kind);
    return capable && (only.size === 0 || only.has(c.module.toLowerCase()));
  });
}

/** The client's block operation for this kind, its answer checked to be a list of ids (VAR bug §7.7). */
export async function callBlock(client: BlockClient, o: VectraObject): Promise<string[]> {
  const answer =
    o.kind === 'host'
      ? await client.blockHost(o as VectraHost)
      : o.kind === 'account'
        ? await client.blockAccount(o as VectraAccount)
        : await client.blockDetection(o as VectraDetection);
  return toIdList(toBlockAnswer(answer, client.name).inForce, client.name);
}

/** The client's unblock operation; `null`/`undefined` means "nothing unblocked", as in VAR. */
export async function callUnblock(client: BlockClient, o: VectraObject): Promise<string[]> {
  const answer: unknown =
    o.kind === 'host'
      ? await client.unblockHost(o as VectraHost)
      : o.kind === 'account'
        ? await client.unblockAccount(o as VectraAccount)
        : await client.unblockDetection(o as VectraDetection);
  return answer === null || answer === undefined ? [] : toIdList(answer, client.name);
}

/** The note VAR-style writers leave: `Blocked via relay on 2026-11-25 08:20:00 UTC (AWS NACL Client)`. */
export const noteText = (verb: string, source: NoteSource, when: Date, client: string): string =>
  `${verb} via ${source} on ${utcStamp(when)} (${client})`;

async function record(
  vectra: VectraClient,
  o: VectraObject,
  mutate: (tags: string[]) => string[],
  note: string,
  what: string,
): Promise<void> {
  try {
    await vectra.updateTags(o.kind, o.id, mutate);
  } catch (err) {
    const reason = toWireError(err).message;
    throw new RelayError(
      err instanceof RelayError ? err.code : 'unknown',
      `${what}, but recording it in Vectra Detect failed (${reason}). Run the action again to complete the record.`,
      { cause: err },
    );
  }
  try {
    await vectra.addNote(o.kind, o.id, note);
  } catch (err) {
    // The tags are the state; a missing note loses only prose. Say so in the log.
    vectra.ctx.log.warn('note not added', { kind: o.kind, id: o.id, reason: toWireError(err).message });
  }
}

/**
 * `holdTag`: the user's block tag (e.g. `vectra_host_block`) that a manual block
 * adds, so VAR's loop and the relay's engine keep the object blocked instead of
 * releasing it as "no longer matching" on their next run.
 */
export async function blockAndRecord(
  vectra: VectraClient,
  client: BlockClient,
  o: VectraObject,
  source: NoteSource,
  holdTag?: string,
): Promise<ApplyResult> {
  const held = o.blockedElements[client.name] ?? [];
  const marker = BLOCKED_MARKERS[o.kind];
  // Ask the client even when the tags say "blocked": block operations are idempotent
  // (the contract suite checks it), so this completes a block whose targets grew (a
  // NACL added to the module) and repairs a lost marker, and costs no write otherwise.
  const ids = await callBlock(client, o);
  if (ids.length === 0 && held.length === 0) {
    throw new RelayError('not found', `${client.name} found nothing to block for ${label(o)}.`);
  }
  const withHold = (tags: string[]) => (holdTag && !tags.includes(holdTag) ? [...tags, holdTag] : tags);
  if (ids.every((id) => held.includes(id))) {
    if (!o.allTags.includes(marker) || (holdTag && !o.allTags.includes(holdTag))) {
      await vectra.updateTags(o.kind, o.id, (t) => withHold(t.includes(marker) ? t : [...t, marker]));
    }
    return { ids: held, unchanged: true };
  }
  await record(
    vectra,
    o,
    (tags) => withHold(tagsAfterBlock(tags, { marker, clientName: client.name, ids })),
    noteText('Blocked', source, new Date(), client.name),
    `Blocked ${label(o)} via ${client.name}`,
  );
  return { ids, unchanged: false };
}

/** `holdTag` (see `blockAndRecord`) is removed with the last client's ids, kept while another holds the object. */
export async function unblockAndRecord(
  vectra: VectraClient,
  client: BlockClient,
  o: VectraObject,
  source: NoteSource,
  holdTag?: string,
): Promise<ApplyResult> {
  const held = o.blockedElements[client.name] ?? [];
  if (held.length === 0) return { ids: [], unchanged: true };
  const ids = await callUnblock(client, o);
  if (ids.length === 0) {
    throw new RelayError(
      'not found',
      `${client.name} could not find what it blocked for ${label(o)}; its VAR ID tags were kept.`,
    );
  }
  await record(
    vectra,
    o,
    (tags) => {
      const next = tagsAfterUnblock(tags, { marker: BLOCKED_MARKERS[o.kind], clientName: client.name, ids });
      const stillHeld = next.includes(BLOCKED_MARKERS[o.kind]);
      return holdTag && !stillHeld ? next.filter((t) => t !== holdTag) : next;
    },
    noteText('Unblocked', source, new Date(), client.name),
    `Unblocked ${label(o)} via ${client.name}`,
  );
  return { ids, unchanged: false };
}
