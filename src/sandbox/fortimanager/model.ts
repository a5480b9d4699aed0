/**
 * The state of a fake FortiManager: ADOMs with their object database
 * (address, address6, addrgrp, addrgrp6), the workspace (lock, draft,
 * commit), policy packages with installation targets, managed devices with
 * what was last installed on them, and install tasks. README.md names the
 * source of each rule.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type Table = 'address' | 'address6' | 'addrgrp' | 'addrgrp6';
export type Entry = Record<string, unknown> & { name: string };
export type Db = Record<Table, Map<string, Entry>>;

/** A JSON-RPC status code and message, as FortiManager answers them in `result[0].status`. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const C = {
  EXISTS: -2,
  NOT_FOUND: -3,
  INVALID_URL: -6,
  NO_WORKSPACE: -9,
  INVALID_DATA: -10,
  NO_PERMISSION: -11,
  LOGIN_FAILED: -22,
  /** Unknown code (README): the fake's stand-in for "Workspace is locked by other user". */
  LOCKED: -20055,
  /** Unknown code (README): the fake's stand-in for deleting an object still used by a group. */
  IN_USE: -10015,
  DEPENDENCY: -10131,
} as const;

export interface Lock {
  readonly owner: string;
  readonly user: string;
  readonly time: number;
  draft: Db;
}

export interface Adom {
  readonly name: string;
  readonly workspace: boolean;
  db: Db;
  lock?: Lock;
  readonly packages: Map<string, { scope: { name: string; vdom: string }[] }>;
}

export interface Task {
  readonly id: number;
  readonly adom: string;
  readonly pkg: string;
  readonly targets: { name: string; vdom: string }[];
  readonly start: number;
  readonly fail: boolean;
  /** The committed database as it was when the install started. */
  readonly snapshot: Db;
  finished: boolean;
}

export const emptyDb = (): Db => ({
  address: new Map(),
  address6: new Map(),
  addrgrp: new Map(),
  addrgrp6: new Map(),
});

export const cloneDb = (db: Db): Db =>
  Object.fromEntries(
    (Object.keys(db) as Table[]).map((t) => [
      t,
      new Map([...db[t]].map(([k, v]) => [k, structuredClone(v)])),
    ]),
  ) as Db;

export const memberSource = (t: Table): Table | undefined =>
  t === 'addrgrp' ? 'address' : t === 'addrgrp6' ? 'address6' : undefined;

/** Address group rules: members exist, no duplicates, never empty (ADOMs for FortiOS < 7.2). */
function validate(db: Db, table: Table, e: Entry): Entry {
  if (typeof e.name !== 'string' || e.name.length === 0 || e.name.length > 79 || /["\\]/.test(e.name)) {
    throw new RpcError(C.INVALID_DATA, 'The data is invalid for selected url');
  }
  if (table === 'address') {
    const s = Array.isArray(e.subnet) ? e.subnet.map(String) : String(e.subnet ?? '').split(/[\s/]/);
    if (!isIPv4(s[0] ?? '') || !isIPv4(s[1] ?? ''))
      throw new RpcError(C.INVALID_DATA, 'The data is invalid for selected url');
    return { ...e, type: 'ipmask', subnet: [s[0], s[1]], comment: e.comment ?? '' };
  }
  if (table === 'address6') {
    const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(String(e.ip6 ?? ''));
    if (!m || !isIPv6(m[1] as string))
      throw new RpcError(C.INVALID_DATA, 'The data is invalid for selected url');
    return { ...e, ip6: `${(m[1] as string).toLowerCase()}/${m[2]}`, comment: e.comment ?? '' };
  }
  const members = (Array.isArray(e.member) ? e.member : [e.member])
    .filter((m) => m !== undefined)
    .map(String);
  if (members.length === 0) throw new RpcError(C.INVALID_DATA, 'The data is invalid for selected url');
  for (const m of members) {
    if (!db[memberSource(table) as Table].has(m))
      throw new RpcError(C.DEPENDENCY, 'Object dependency failed');
  }
  return { ...e, member: members, comment: e.comment ?? '' };
}

export class FmgState {
  readonly adoms = new Map<string, Adom>();
  /** Device name → (vdom → what the last successful install put there). */
  readonly devices = new Map<string, Map<string, Db>>();
  readonly tasks = new Map<number, Task>();
  private nextTask = 1000;
  /** Installs that will fail: each entry fails one install on the named device (or any). */
  readonly installFailures: (string | undefined)[] = [];

  constructor(readonly jobMs: number) {}

  adom(name: string): Adom {
    const a = this.adoms.get(name);
    if (!a) throw new RpcError(C.INVALID_URL, 'Invalid url');
    return a;
  }

  /** The database `owner` sees: the draft while it holds the lock, else the committed one. */
  view(a: Adom, owner: string): Db {
    return a.lock && a.lock.owner === owner ? a.lock.draft : a.db;
  }

  /** The database `owner` may write: refused in a workspace ADOM unless `owner` holds its lock. */
  writable(a: Adom, owner: string): Db {
    if (!a.workspace) return a.db;
    if (a.lock?.owner !== owner) throw new RpcError(C.LOCKED, 'Workspace is locked by other user');
    return a.lock.draft;
  }

  create(db: Db, table: Table, e: Entry): void {
    if (db[table].has(e?.name)) throw new RpcError(C.EXISTS, 'Object already exists');
    const v = validate(db, table, e);
    db[table].set(v.name, v);
  }

  delete(db: Db, table: Table, name: string): void {
    if (!db[table].has(name)) throw new RpcError(C.NOT_FOUND, 'Object does not exist');
    const groups = table === 'address' ? db.addrgrp : table === 'address6' ? db.addrgrp6 : undefined;
    if (groups && [...groups.values()].some((g) => (g.member as string[]).includes(name))) {
      throw new RpcError(C.IN_USE, 'Object is in use');
    }
    db[table].delete(name);
  }

  addMembers(db: Db, table: Table, group: string, names: string[]): void {
    const g = db[table].get(group);
    if (!g || !memberSource(table)) throw new RpcError(C.NOT_FOUND, 'Object does not exist');
    const members = g.member as string[];
    for (const n of names) {
      if (members.includes(n)) throw new RpcError(C.EXISTS, 'Object already exists');
      if (!db[memberSource(table) as Table].has(n))
        throw new RpcError(C.DEPENDENCY, 'Object dependency failed');
    }
    members.push(...names);
  }

  removeMembers(db: Db, table: Table, group: string, names: string[]): void {
    const g = db[table].get(group);
    if (!g || !memberSource(table)) throw new RpcError(C.NOT_FOUND, 'Object does not exist');
    const members = g.member as string[];
    if (names.some((n) => !members.includes(n))) throw new RpcError(C.NOT_FOUND, 'Object does not exist');
    const left = members.filter((m) => !names.includes(m));
    if (left.length === 0) throw new RpcError(C.INVALID_DATA, 'The data is invalid for selected url');
    g.member = left;
  }

  install(adom: Adom, pkg: string, scope: { name: string; vdom: string }[] | undefined): number {
    const p = adom.packages.get(pkg);
    if (!p) throw new RpcError(C.NOT_FOUND, 'Object does not exist');
    const targets = scope?.length ? scope : p.scope;
    for (const t of targets) {
      if (!this.devices.get(t.name)?.has(t.vdom))
        throw new RpcError(C.INVALID_DATA, 'The data is invalid for selected url');
    }
    const failAt = this.installFailures.findIndex(
      (d) => d === undefined || targets.some((t) => t.name === d),
    );
    const fail = failAt >= 0;
    if (fail) this.installFailures.splice(failAt, 1);
    const id = this.nextTask++;
    this.tasks.set(id, {
      id,
      adom: adom.name,
      pkg,
      targets,
      start: Date.now(),
      fail,
      snapshot: cloneDb(adom.db),
      finished: false,
    });
    return id;
  }

  /** Finishes a task whose time has come (or now, with `force`): a success copies the database to its targets. */
  advance(t: Task, force = false): void {
    if (t.finished || (!force && Date.now() - t.start < this.jobMs)) return;
    t.finished = true;
    if (t.fail) return;
    for (const target of t.targets) this.devices.get(target.name)?.set(target.vdom, cloneDb(t.snapshot));
  }

  settle(): void {
    for (const t of this.tasks.values()) this.advance(t, true);
  }
}

/** A database as plain sorted JSON (snapshots). */
export function dbJson(db: Db): unknown {
  return Object.fromEntries(
    (Object.keys(db) as Table[]).map((t) => [
      t,
      [...db[t].values()].sort((a, b) => a.name.localeCompare(b.name)),
    ]),
  );
}
