/**
 * VAR's tag state, as pure functions. All block state lives in Vectra tags: a
 * marker per object kind (`VAR Host Blocked`…) and one `VAR ID:<client>:<id>`
 * tag per blocked element. These functions compute the next full tag list and
 * keep every tag they do not own — in particular other clients' `VAR ID` tags,
 * which VAR itself loses on unblock (vectra.md §7.5).
 */
import type { BlockedElements, VectraObjectKind } from '../kernel/model.js';

export const HOST_BLOCKED_MARKER = 'VAR Host Blocked';
export const ACCOUNT_BLOCKED_MARKER = 'VAR Account Blocked';
export const DETECTION_BLOCKED_MARKER = 'VAR Detection Blocked';

export const BLOCKED_MARKERS: Readonly<Record<VectraObjectKind, string>> = {
  host: HOST_BLOCKED_MARKER,
  account: ACCOUNT_BLOCKED_MARKER,
  detection: DETECTION_BLOCKED_MARKER,
};

/** Markers of an object with a block under way: never `VAR … Blocked` (VAR would count it blocked). */
export const PENDING_MARKERS: Readonly<Record<VectraObjectKind, string>> = {
  host: 'VAR Host Block Pending',
  account: 'VAR Account Block Pending',
  detection: 'VAR Detection Block Pending',
};

export const VAR_ID_PREFIX = 'VAR ID:';
/**
 * `VAR Pending:<client>:<id>`: an element whose block was started but is not
 * in force yet (a firewall install job, an EDR isolation). VAR ignores it, so
 * an object never reads as blocked while its block is only pending.
 */
export const PENDING_PREFIX = 'VAR Pending:';

/** `VAR ID:<client>:<id>`. The client name must not contain a colon; the id may. */
export function varIdTag(clientName: string, id: string): string {
  if (clientName.includes(':') || clientName === '') {
    throw new TypeError(`Invalid block client name for a VAR ID tag: ${JSON.stringify(clientName)}`);
  }
  return `${VAR_ID_PREFIX}${clientName}:${id}`;
}

/** `VAR Pending:<client>:<id>`. */
export function pendingTag(clientName: string, id: string): string {
  return `${PENDING_PREFIX}${varIdTag(clientName, id).slice(VAR_ID_PREFIX.length)}`;
}

function parsePrefixed(tag: string, prefix: string): { client: string; id: string } | null {
  if (!tag.startsWith(prefix)) return null;
  const rest = tag.slice(prefix.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return null;
  return { client: rest.slice(0, colon), id: rest.slice(colon + 1) };
}

/** Parses `VAR ID:<client>:<id>`: the client is up to the next colon, the id is the rest. */
export const parseVarIdTag = (tag: string) => parsePrefixed(tag, VAR_ID_PREFIX);
export const parsePendingTag = (tag: string) => parsePrefixed(tag, PENDING_PREFIX);

/** True for tags that are VAR state of any client (ids, pending ids, pending markers). */
export const isVarStateTag = (tag: string): boolean =>
  tag.startsWith(VAR_ID_PREFIX) ||
  tag.startsWith(PENDING_PREFIX) ||
  Object.values(PENDING_MARKERS).includes(tag);

/** The pending marker present exactly while some `VAR Pending` tag is (so it can be listed by tag). */
export function withPendingMarker(tags: readonly string[], kind: VectraObjectKind): string[] {
  const marker = PENDING_MARKERS[kind];
  const pending = tags.some((t) => t.startsWith(PENDING_PREFIX));
  const rest = tags.filter((t) => t !== marker);
  return pending ? [...rest, marker] : rest;
}

/** `{client: [ids…]}` from every `VAR ID` tag, in tag order. */
export const blockedElementsOf = (tags: readonly string[]): BlockedElements =>
  elementsOf(tags, parseVarIdTag);
/** `{client: [ids…]}` from every `VAR Pending` tag, in tag order. */
export const pendingElementsOf = (tags: readonly string[]): BlockedElements =>
  elementsOf(tags, parsePendingTag);

function elementsOf(
  tags: readonly string[],
  parse: (tag: string) => { client: string; id: string } | null,
): BlockedElements {
  const out: Record<string, string[]> = {};
  for (const tag of tags) {
    const parsed = parse(tag);
    if (!parsed) continue;
    const ids = out[parsed.client] ?? [];
    if (!ids.includes(parsed.id)) ids.push(parsed.id);
    out[parsed.client] = ids;
  }
  return out;
}

export interface BlockChange {
  readonly marker: string;
  readonly clientName: string;
  readonly ids: readonly string[];
}

export interface UnblockChange extends BlockChange {
  /** Further tags to drop, e.g. the user's unblock (and block) tag after an explicit unblock. */
  readonly extraRemove?: readonly string[];
}

const dedupe = (tags: readonly string[]) => [...new Set(tags)];

/**
 * Tags after a block: everything already there, plus the marker and one
 * `VAR ID` tag per id (no duplicates). With no ids nothing changes, as in VAR.
 */
export function tagsAfterBlock(allTags: readonly string[], change: BlockChange): string[] {
  if (change.ids.length === 0) return dedupe(allTags);
  return dedupe([...allTags, change.marker, ...change.ids.map((id) => varIdTag(change.clientName, id))]);
}

/** Tags after a block answered pending: one `VAR Pending` tag per id, no marker. */
export function tagsAfterPending(
  allTags: readonly string[],
  change: Pick<BlockChange, 'clientName' | 'ids'>,
): string[] {
  return dedupe([...allTags, ...change.ids.map((id) => pendingTag(change.clientName, id))]);
}

/**
 * Tags after `confirm`: the resolved pending ids (in force or failed) lose
 * their `VAR Pending` tag; the ids in force get `VAR ID` tags and the marker.
 */
export function tagsAfterConfirm(
  allTags: readonly string[],
  change: BlockChange & { readonly resolved: readonly string[] },
): string[] {
  const remove = new Set(change.resolved.map((id) => pendingTag(change.clientName, id)));
  return tagsAfterBlock(
    allTags.filter((t) => !remove.has(t)),
    change,
  );
}

/**
 * Tags after an unblock: drops only this client's listed ids, blocked or
 * pending (and `extraRemove`); keeps other clients' ids and every foreign tag;
 * keeps the marker while any client still holds ids and removes it otherwise.
 */
export function tagsAfterUnblock(allTags: readonly string[], change: UnblockChange): string[] {
  const remove = new Set([
    ...change.ids.map((id) => varIdTag(change.clientName, id)),
    ...change.ids.map((id) => pendingTag(change.clientName, id)),
    ...(change.extraRemove ?? []),
  ]);
  const kept = allTags.filter((t) => !remove.has(t));
  const stillBlocked = kept.some((t) => parseVarIdTag(t) !== null);
  return dedupe(stillBlocked ? kept : kept.filter((t) => t !== change.marker));
}

/** True when both lists hold the same tags (order and duplicates ignored). */
export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((t) => sb.has(t));
}
