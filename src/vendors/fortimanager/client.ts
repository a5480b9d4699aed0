/**
 * FortiManager calls of the `fortimanager` client: ADOM address objects and
 * group members (`/pm/config/adom/<adom>/obj/firewall/…`), the ADOM
 * workspace (lock, commit, unlock, lockinfo), the policy package install
 * (`/securityconsole/install/package`) and its task (`/task/task/<id>`).
 */
import { RelayError } from '../../kernel/errors.js';
import { type FortiManagerConfig, PRODUCT } from './config.js';
import { COMMENT, PREFIX } from './ids.js';
import { type FmgRpc, RPC, rpcError } from './rpc.js';

export type Family = 4 | 6;

export interface AddressView {
  readonly name: string;
  readonly ip: string | undefined;
  readonly comment: string;
}

export interface TaskView {
  readonly done: boolean;
  readonly ok: boolean;
  /** Why it failed: the first failing line's device and detail. */
  readonly reason: string;
}

const table = (f: Family) => (f === 4 ? 'address' : 'address6');
const groupTable = (f: Family) => (f === 4 ? 'addrgrp' : 'addrgrp6');

export class FmgObjects {
  constructor(
    readonly rpc: FmgRpc,
    readonly cfg: FortiManagerConfig,
  ) {}

  private obj(path: string): string {
    return `/pm/config/adom/${this.cfg.adom}/obj/firewall/${path}`;
  }

  async ourAddresses(f: Family): Promise<Map<string, AddressView>> {
    const data = await this.rpc.ok(
      'get',
      {
        url: this.obj(table(f)),
        fields: ['name', f === 4 ? 'subnet' : 'ip6', 'comment'],
        filter: ['name', 'like', `${PREFIX}%`],
      },
      `reading ${table(f)} objects in ADOM ${this.cfg.adom}`,
    );
    const out = new Map<string, AddressView>();
    for (const o of Array.isArray(data) ? (data as Array<Record<string, unknown>>) : []) {
      const name = String(o.name ?? '');
      if (!name.startsWith(PREFIX)) continue;
      const ip =
        f === 4
          ? Array.isArray(o.subnet) && o.subnet[1] === '255.255.255.255'
            ? String(o.subnet[0])
            : undefined
          : /^([0-9a-f:.]+)\/128$/i.exec(String(o.ip6 ?? ''))?.[1]?.toLowerCase();
      out.set(name, { name, ip, comment: String(o.comment ?? '') });
    }
    return out;
  }

  async groupMembers(f: Family, group: string): Promise<Set<string>> {
    const r = await this.rpc.call('get', {
      url: this.obj(`${groupTable(f)}/${group}`),
      fields: ['name', 'member'],
    });
    if (r.code === RPC.NOT_FOUND) {
      throw new RelayError(
        'not found',
        `${PRODUCT} has no ${groupTable(f)} "${group}" in ADOM ${this.cfg.adom}: create it and use it in the deny policy of package ${this.cfg.pkg} (see the client README).`,
      );
    }
    if (r.code !== RPC.OK) throw rpcError(r, `reading address group ${group}`);
    const m = (r.data as { member?: unknown } | undefined)?.member;
    return new Set((Array.isArray(m) ? m : typeof m === 'string' ? [m] : []).map(String));
  }

  async createAddress(f: Family, name: string, ip: string): Promise<'created' | 'exists'> {
    const data =
      f === 4
        ? { name, type: 'ipmask', subnet: [ip, '255.255.255.255'], comment: COMMENT }
        : { name, ip6: `${ip}/128`, comment: COMMENT };
    const r = await this.rpc.call('add', { url: this.obj(table(f)), data });
    if (r.code === RPC.OK) return 'created';
    if (r.code === RPC.EXISTS) return 'exists';
    throw rpcError(r, `creating address ${name}`);
  }

  /** Best effort: an object still used elsewhere (the other group) is kept. */
  async deleteAddress(f: Family, name: string): Promise<'deleted' | 'kept'> {
    const r = await this.rpc.call('delete', { url: this.obj(`${table(f)}/${name}`) });
    if (r.code === RPC.OK || r.code === RPC.NOT_FOUND) return 'deleted';
    if (r.code === RPC.NO_PERMISSION) throw rpcError(r, `deleting address ${name}`);
    return 'kept';
  }

  /** Adds members through the group's `member` attribute, never a `set` of the whole list. */
  async addMember(f: Family, group: string, name: string): Promise<void> {
    const r = await this.rpc.call('add', { url: this.obj(`${groupTable(f)}/${group}/member`), data: [name] });
    if (r.code !== RPC.OK && r.code !== RPC.EXISTS)
      throw rpcError(r, `adding ${name} to address group ${group}`);
  }

  /** `refused` when FortiManager will not remove it (the group would be left empty). */
  async removeMember(f: Family, group: string, name: string): Promise<'removed' | 'refused'> {
    const r = await this.rpc.call('delete', {
      url: this.obj(`${groupTable(f)}/${group}/member`),
      data: [name],
    });
    if (r.code === RPC.OK || r.code === RPC.NOT_FOUND) return 'removed';
    if (r.code === RPC.NO_PERMISSION) throw rpcError(r, `removing ${name} from address group ${group}`);
    return 'refused';
  }

  // ---- workspace ----

  private ws(action: string): string {
    return `/dvmdb/adom/${this.cfg.adom}/workspace/${action}`;
  }

  /** Who holds the ADOM's workspace lock; `none` when free, `off` when the ADOM has no workspace mode. */
  async lockHolder(): Promise<{ mode: 'off' } | { mode: 'free' } | { mode: 'held'; user: string }> {
    const r = await this.rpc.call('get', { url: this.ws('lockinfo') });
    if (r.code === RPC.NO_WORKSPACE) return { mode: 'off' };
    if (r.code !== RPC.OK) throw rpcError(r, `reading the workspace lock of ADOM ${this.cfg.adom}`);
    const holder = (Array.isArray(r.data) ? (r.data as Array<{ lock_user?: unknown }>) : []).find(
      (l) => l.lock_user,
    );
    return holder ? { mode: 'held', user: String(holder.lock_user) } : { mode: 'free' };
  }

  lockedBy(user: string): RelayError {
    return new RelayError(
      'state conflict',
      `${PRODUCT} ADOM ${this.cfg.adom} is locked by ${user.slice(0, 64)}; nothing was changed. Try again once they commit or unlock it.`,
    );
  }

  /** Locks the ADOM; an administrator's lock is a conflict naming them, never broken. */
  async lock(): Promise<void> {
    const r = await this.rpc.call('exec', { url: this.ws('lock') });
    if (r.code === RPC.OK) return;
    const h = await this.lockHolder();
    if (h.mode === 'held') throw this.lockedBy(h.user);
    throw rpcError(r, `locking ADOM ${this.cfg.adom}`);
  }

  commit(): Promise<unknown> {
    return this.rpc.ok('exec', { url: this.ws('commit') }, `committing ADOM ${this.cfg.adom}`);
  }

  async unlock(): Promise<void> {
    const r = await this.rpc.call('exec', { url: this.ws('unlock') });
    if (r.code !== RPC.OK) {
      this.rpc.ctx.log.warn('FortiManager unlock failed', { adom: this.cfg.adom, code: r.code });
    }
  }

  // ---- install ----

  async install(): Promise<number> {
    const data = await this.rpc.ok(
      'exec',
      {
        url: '/securityconsole/install/package',
        data: {
          adom: this.cfg.adom,
          pkg: this.cfg.pkg,
          flags: ['none'],
          ...(this.cfg.scope.length ? { scope: this.cfg.scope } : {}),
        },
      },
      `installing policy package ${this.cfg.pkg}`,
    );
    const task = (data as { task?: unknown } | undefined)?.task;
    if (typeof task !== 'number') throw new RelayError('unknown', `${PRODUCT} started no install task.`);
    return task;
  }

  async task(id: number): Promise<TaskView> {
    const d = (await this.rpc.ok('get', { url: `/task/task/${id}` }, `reading install task ${id}`)) as {
      percent?: unknown;
      num_err?: unknown;
      line?: Array<{ name?: unknown; vdom?: unknown; detail?: unknown; err?: unknown }>;
    };
    const done = Number(d?.percent) >= 100;
    const failedLine = (d?.line ?? []).find((l) => Number(l.err) !== 0);
    const ok = done && Number(d?.num_err ?? 0) === 0;
    // The device and VDOM only: the line's detail is upstream text.
    const where = failedLine
      ? ` on ${String(failedLine.name ?? 'a device').slice(0, 64)}${failedLine.vdom ? ` (vdom ${String(failedLine.vdom).slice(0, 31)})` : ''}`
      : '';
    const reason = `${PRODUCT} install task ${id} of package ${this.cfg.pkg} failed${where}`;
    return { done, ok, reason };
  }
}
