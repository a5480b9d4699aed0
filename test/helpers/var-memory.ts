/**
 * An in-memory `VarPort` for VAR-core tests: Vectra objects whose tags are
 * the state, re-parsed after each write exactly as the Vectra parser does
 * (`VAR ID` and `VAR Pending` tags), with group membership for the guard.
 */
import type { VectraDetection, VectraHost, VectraObject, VectraObjectKind } from '../../src/kernel/model.js';
import type { VarPort } from '../../src/var/ports.js';
import { blockedElementsOf, pendingElementsOf, sameTags } from '../../src/var/state.js';
import { makeHost } from './objects.js';

export interface MemoryVectra extends VarPort {
  readonly objects: Map<string, VectraObject>;
  readonly notes: { kind: VectraObjectKind; id: number; text: string }[];
  readonly groups: Map<string, number[]>;
  add<T extends VectraObject>(o: T): T;
  get<T extends VectraObject>(kind: T['kind'], id: number): T;
  tags(kind: VectraObjectKind, id: number): string[];
}

const key = (kind: VectraObjectKind, id: number) => `${kind}:${id}`;

function withTags<T extends VectraObject>(o: T, allTags: readonly string[]): T {
  return {
    ...o,
    allTags: [...allTags],
    blockedElements: blockedElementsOf(allTags),
    pendingElements: pendingElementsOf(allTags),
  };
}

export function memoryVectra(): MemoryVectra {
  const objects = new Map<string, VectraObject>();
  const notes: MemoryVectra['notes'] = [];
  const groups = new Map<string, number[]>();
  const ofKind = <T extends VectraObject>(kind: VectraObjectKind, tags?: string) =>
    [...objects.values()].filter(
      (o): o is T => o.kind === kind && (tags === undefined || o.allTags.some((t) => t.includes(tags))),
    );
  const m: MemoryVectra = {
    objects,
    notes,
    groups,
    apiVersion: 'v2.5',
    add(o) {
      const stored = withTags(o, o.allTags);
      objects.set(key(o.kind, o.id), stored);
      return stored;
    },
    get<T extends VectraObject>(kind: T['kind'], id: number) {
      const o = objects.get(key(kind, id));
      if (!o) throw new Error(`no ${kind} ${id}`);
      return o as T;
    },
    tags: (kind, id) => [...(objects.get(key(kind, id))?.allTags ?? [])],
    listHosts: async (q) => ofKind('host', q.tags),
    listAccounts: async (q) => ofKind('account', q.tags),
    listDetections: async (q) => ofKind('detection', q.tags),
    getHost: async (id) => (objects.get(key('host', id)) as VectraHost | undefined) ?? null,
    getAccount: async (id) => (objects.get(key('account', id)) as never) ?? null,
    hostGroupMemberIds: async (name) => groups.get(name) ?? [],
    accountGroupMembers: async () => [],
    hostsByUrgency: async () => [],
    accountsByUrgency: async () => [],
    async updateTags(kind, id, mutate) {
      const o = objects.get(key(kind, id));
      if (!o) throw new Error(`no ${kind} ${id}`);
      const next = mutate([...o.allTags]);
      objects.set(key(kind, id), withTags(o, next));
      return { tags: next, changed: !sameTags(next, o.allTags) };
    },
    async addNote(kind, id, text) {
      notes.push({ kind, id, text });
    },
  };
  return m;
}

/** A host with no tags, for the contract suite. */
export const plainHost = (id: number, name: string, ip: string): VectraHost =>
  makeHost({ id, name, ip, allTags: [], tags: [], blockedElements: {}, pendingElements: {} });

/** A detection to external destinations, for the contract suite. */
export function plainDetection(id: number, dstIps: string[]): VectraDetection {
  return {
    kind: 'detection',
    id,
    hostId: null,
    accountId: null,
    category: 'COMMAND & CONTROL',
    detectionType: 'Hidden HTTPS Tunnel',
    src: null,
    dstIps,
    dstDomains: [],
    state: 'active',
    threat: 80,
    certainty: 80,
    isTriaged: false,
    firstTimestamp: null,
    lastTimestamp: null,
    srcHostName: null,
    srcAccountName: null,
    allTags: [],
    tags: [],
    blockedElements: {},
    pendingElements: {},
    clientRestrictions: [],
  };
}
