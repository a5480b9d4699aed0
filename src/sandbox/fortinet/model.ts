/**
 * The CMDB state of a fake FortiGate: per VDOM, the `firewall address`,
 * `address6`, `addrgrp` and `addrgrp6` tables and the deny policies that use
 * groups, with FortiOS's rules (README.md names the source of each):
 * unique names, members that must exist, groups that cannot be empty, objects
 * in use that cannot be deleted, a table size limit.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type Table = 'address' | 'address6' | 'addrgrp' | 'addrgrp6';

/** A FortiOS CLI error: the HTTP status and the `error` code FortiOS puts in the body. */
export class FosError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    message: string,
    readonly cliError?: string,
  ) {
    super(message);
  }
}

export const E = {
  INVALID_LENGTH: -1,
  NOT_FOUND: -3,
  MAX_ENTRIES: -4,
  EXISTS: -5,
  IN_USE: -23,
  EMPTY: -56,
  INVALID: -651,
  /** Not a documented code: the fake's stand-in for "locked by another transaction" (README, Unknown). */
  LOCKED: -999,
} as const;

export type Entry = Record<string, unknown> & { name: string };

export interface Vdom {
  readonly tables: Record<Table, Map<string, Entry>>;
  /** Group names a policy uses (as srcaddr or dstaddr): never deletable. */
  readonly policyRefs: Set<string>;
}

const MAX_NAME = 79;
const MAX_COMMENT = 255;

export const memberTable = (t: Table): Table | undefined =>
  t === 'addrgrp' ? 'address' : t === 'addrgrp6' ? 'address6' : undefined;

export function makeVdom(): Vdom {
  return {
    tables: { address: new Map(), address6: new Map(), addrgrp: new Map(), addrgrp6: new Map() },
    policyRefs: new Set(),
  };
}

export class FortiState {
  readonly vdoms = new Map<string, Vdom>();
  /** `table/name` → administrator whose open workspace transaction holds the object. */
  readonly locks = new Map<string, string>();

  constructor(readonly maxAddresses: number) {}

  vdom(name: string): Vdom {
    const v = this.vdoms.get(name);
    if (!v) throw new FosError(404, E.NOT_FOUND, `vdom ${name} not found`);
    return v;
  }

  private checkLock(table: Table, name: string): void {
    const admin = this.locks.get(`${table}/${name}`);
    if (admin) {
      throw new FosError(500, E.LOCKED, 'locked', `object is locked by config transaction of ${admin}`);
    }
  }

  /** Validates an entry as FortiOS would on create or update. */
  private validate(v: Vdom, table: Table, e: Entry): Entry {
    if (typeof e.name !== 'string' || e.name.length === 0 || e.name.length > MAX_NAME) {
      throw new FosError(500, E.INVALID_LENGTH, 'invalid name length');
    }
    if (e.comment !== undefined && (typeof e.comment !== 'string' || e.comment.length > MAX_COMMENT)) {
      throw new FosError(500, E.INVALID_LENGTH, 'invalid comment length');
    }
    if (table === 'address') {
      const subnet = normaliseSubnet(e.subnet ?? '0.0.0.0 0.0.0.0');
      if (!subnet || (e.type !== undefined && e.type !== 'ipmask'))
        throw new FosError(500, E.INVALID, 'invalid value');
      return { ...e, type: 'ipmask', subnet, comment: e.comment ?? '' };
    }
    if (table === 'address6') {
      const ip6 = normaliseIp6(e.ip6 ?? '::/0');
      if (!ip6) throw new FosError(500, E.INVALID, 'invalid value');
      return { ...e, ip6, comment: e.comment ?? '' };
    }
    const members = e.member;
    if (!Array.isArray(members) || members.length === 0) {
      throw new FosError(500, E.EMPTY, 'member must be set');
    }
    const names = members.map((m) => String((m as { name?: unknown })?.name ?? ''));
    if (new Set(names).size !== names.length) throw new FosError(500, E.EXISTS, 'duplicate member');
    const source = memberTable(table) as Table;
    for (const n of names) {
      if (!v.tables[source].has(n) && !(v.tables[table].has(n) && n !== e.name)) {
        throw new FosError(500, E.NOT_FOUND, `entry not found in datasource: ${n}`);
      }
    }
    return { ...e, member: names.map((name) => ({ name })), comment: e.comment ?? '' };
  }

  list(vdom: string, table: Table): Entry[] {
    return [...this.vdom(vdom).tables[table].values()].map((e) => structuredClone(e));
  }

  get(vdom: string, table: Table, name: string): Entry {
    const e = this.vdom(vdom).tables[table].get(name);
    if (!e) throw new FosError(404, E.NOT_FOUND, 'not found');
    return structuredClone(e);
  }

  create(vdom: string, table: Table, raw: Entry): void {
    const v = this.vdom(vdom);
    const t = v.tables[table];
    if (typeof raw?.name === 'string' && t.has(raw.name)) throw new FosError(500, E.EXISTS, 'duplicate');
    const isAddress = table === 'address' || table === 'address6';
    if (isAddress && v.tables.address.size + v.tables.address6.size >= this.maxAddresses) {
      throw new FosError(500, E.MAX_ENTRIES, 'maximum entries reached');
    }
    const e = this.validate(v, table, raw);
    t.set(e.name, e);
  }

  /** PUT: the given fields replace the entry's (a member list is replaced whole). */
  update(vdom: string, table: Table, name: string, patch: Record<string, unknown>): void {
    const v = this.vdom(vdom);
    const cur = v.tables[table].get(name);
    if (!cur) throw new FosError(404, E.NOT_FOUND, 'not found');
    this.checkLock(table, name);
    if (patch.name !== undefined && patch.name !== name) throw new FosError(500, E.INVALID, 'rename refused');
    v.tables[table].set(name, this.validate(v, table, { ...cur, ...patch, name }));
  }

  delete(vdom: string, table: Table, name: string): void {
    const v = this.vdom(vdom);
    if (!v.tables[table].has(name)) throw new FosError(404, E.NOT_FOUND, 'not found');
    this.checkLock(table, name);
    if (this.referenced(v, table, name)) throw new FosError(500, E.IN_USE, 'entry is used');
    v.tables[table].delete(name);
  }

  addMember(vdom: string, table: Table, group: string, member: string): void {
    const v = this.vdom(vdom);
    const g = v.tables[table].get(group);
    if (!g || !memberTable(table)) throw new FosError(404, E.NOT_FOUND, 'not found');
    this.checkLock(table, group);
    const members = g.member as Array<{ name: string }>;
    if (members.some((m) => m.name === member)) throw new FosError(500, E.EXISTS, 'duplicate member');
    if (!v.tables[memberTable(table) as Table].has(member)) {
      throw new FosError(500, E.NOT_FOUND, `entry not found in datasource: ${member}`);
    }
    members.push({ name: member });
  }

  removeMember(vdom: string, table: Table, group: string, member: string): void {
    const v = this.vdom(vdom);
    const g = v.tables[table].get(group);
    if (!g || !memberTable(table)) throw new FosError(404, E.NOT_FOUND, 'not found');
    const members = g.member as Array<{ name: string }>;
    const i = members.findIndex((m) => m.name === member);
    if (i < 0) throw new FosError(404, E.NOT_FOUND, 'not found');
    this.checkLock(table, group);
    if (members.length === 1) throw new FosError(500, E.EMPTY, 'member must be set');
    members.splice(i, 1);
  }

  private referenced(v: Vdom, table: Table, name: string): boolean {
    if (table === 'addrgrp' || table === 'addrgrp6') {
      if (v.policyRefs.has(`${table}/${name}`)) return true;
    }
    const groups = table === 'address' || table === 'addrgrp' ? v.tables.addrgrp : v.tables.addrgrp6;
    return [...groups.values()].some((g) =>
      (g.member as Array<{ name: string }>).some((m) => m.name === name),
    );
  }

  toJSON(): unknown {
    return Object.fromEntries(
      [...this.vdoms].map(([name, v]) => [
        name,
        Object.fromEntries(
          (Object.keys(v.tables) as Table[]).map((t) => [
            t,
            [...v.tables[t].values()].sort((a, b) => a.name.localeCompare(b.name)),
          ]),
        ),
      ]),
    );
  }
}

/** `a.b.c.d m.m.m.m` or `a.b.c.d/len` → FortiOS's `a.b.c.d m.m.m.m`; undefined when invalid. */
export function normaliseSubnet(raw: unknown): string | undefined {
  const s = String(raw).trim();
  const m = /^(\S+)(?:\s+(\S+)|\/(\d{1,2}))$/.exec(s);
  if (!m || !isIPv4(m[1] as string)) return undefined;
  let mask: string;
  if (m[3] !== undefined) {
    const len = Number(m[3]);
    if (len > 32) return undefined;
    const bits = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    mask = [24, 16, 8, 0].map((sh) => (bits >>> sh) & 255).join('.');
  } else {
    mask = m[2] as string;
    if (!isIPv4(mask)) return undefined;
  }
  return `${m[1]} ${mask}`;
}

export function normaliseIp6(raw: unknown): string | undefined {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(String(raw).trim());
  if (!m || !isIPv6(m[1] as string) || Number(m[2]) > 128) return undefined;
  return `${(m[1] as string).toLowerCase()}/${m[2]}`;
}
