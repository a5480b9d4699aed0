/**
 * Block and release host addresses on every configured FortiGate, one element
 * per firewall, VDOM, group side and address.
 *
 * A block on one firewall and family is: read the group's members and our
 * address objects (two calls for the whole batch), make sure our placeholder
 * is a member (so the group can never be left empty by us), then per address
 * create `vectra-relay-<ip>` if missing and add it to the group if missing.
 * Blocking what is blocked makes no write. "Already exists" is success only
 * for our own object holding the same address; anything else by that name is
 * left alone and reported.
 *
 * A release removes our member from the group, then deletes our address
 * object unless FortiOS says it is still in use (the same address blocked
 * on the other side, as a host and as a detection's destination).
 */
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import { withKeyLock } from '../../kernel/keyed-lock.js';
import { type AddressView, type Family, FortiOs } from './client.js';
import type { Firewall, FortinetConfig, Side } from './config.js';
import { COMMENT, elementId, type HostIp, objectName, PLACEHOLDER, PLACEHOLDER_ADDRESS } from './ids.js';

/** One element's fate: the id, and the error when it is not in the asked state. */
export interface Outcome {
  readonly id: string;
  readonly firewall: string;
  readonly host: HostIp;
  readonly error?: RelayError;
}

/** What to act on: a host address on one side of one firewall. */
export interface Target {
  readonly fw: Firewall;
  readonly side: Side;
  readonly host: HostIp;
}

const asRelayError = (err: unknown): RelayError =>
  err instanceof RelayError ? err : new RelayError('unknown', 'FortiGate update failed.', { cause: err });

const groupLabel = (f: Family) => (f === 4 ? 'address group' : 'IPv6 address group');

/** Request-scoped access to the firewalls: one API (transport) per firewall. */
export class Fleet {
  private readonly apis = new Map<string, FortiOs>();

  constructor(
    readonly cfg: FortinetConfig,
    readonly ctx: RequestContext,
  ) {}

  api(fw: Firewall): FortiOs {
    let a = this.apis.get(fw.key);
    if (!a) {
      a = new FortiOs(fw, this.ctx);
      this.apis.set(fw.key, a);
    }
    return a;
  }

  firewall(key: string): Firewall | undefined {
    return this.cfg.firewalls.find((f) => f.key === key);
  }

  /** Every configured firewall × address, on one side. */
  everywhere(side: Side, hosts: readonly HostIp[]): Target[] {
    return this.cfg.firewalls.flatMap((fw) => hosts.map((host) => ({ fw, side, host })));
  }

  block(targets: readonly Target[]): Promise<Outcome[]> {
    return this.run(targets, (api, side, f, hs) => blockOn(api, this.cfg.groups[side][f], f, hs));
  }

  release(targets: readonly Target[]): Promise<Outcome[]> {
    return this.run(targets, (api, side, f, hs) => releaseOn(api, this.cfg.groups[side][f], f, hs, this.ctx));
  }

  /** Runs `op` once per (firewall, side, family) batch, all batches in parallel. */
  private async run(
    targets: readonly Target[],
    op: (
      api: FortiOs,
      side: Side,
      f: Family,
      hosts: HostIp[],
    ) => Promise<Map<string, RelayError | undefined>>,
  ): Promise<Outcome[]> {
    const batches = new Map<string, { fw: Firewall; side: Side; f: Family; hosts: HostIp[] }>();
    for (const t of targets) {
      const key = `${t.fw.key}|${t.side}|${t.host.family}`;
      const b = batches.get(key) ?? { fw: t.fw, side: t.side, f: t.host.family, hosts: [] };
      if (!b.hosts.some((h) => h.ip === t.host.ip)) b.hosts.push(t.host);
      batches.set(key, b);
    }
    const done = await Promise.all(
      [...batches.values()].map(async (b) => {
        let errors: Map<string, RelayError | undefined>;
        try {
          errors = await op(this.api(b.fw), b.side, b.f, b.hosts);
        } catch (err) {
          const e = asRelayError(err);
          errors = new Map(b.hosts.map((h) => [h.ip, e]));
        }
        return b.hosts.map((host) => {
          const error = errors.get(host.ip);
          return {
            id: elementId(b.fw.key, b.side, host),
            firewall: b.fw.key,
            host,
            ...(error ? { error } : {}),
          };
        });
      }),
    );
    return done.flat();
  }
}

function foreign(api: FortiOs, name: string, host: { ip: string }): RelayError {
  return new RelayError(
    'state conflict',
    `FortiGate ${api.fw.key}: an address named ${name} exists but was not created by the relay for ${host.ip}; it was left unchanged.`,
  );
}

const isOurs = (v: AddressView | undefined, ip: string): boolean => v?.comment === COMMENT && v.ip === ip;

/** Our address object `name` for `host` exists (created now if missing), and is a member of `group`. */
async function ensureMember(
  api: FortiOs,
  f: Family,
  group: string,
  name: string,
  host: { ip: string },
  known: { ours?: Map<string, AddressView>; members?: Set<string> },
): Promise<void> {
  const seen = known.ours?.get(name);
  if (seen) {
    if (!isOurs(seen, host.ip)) throw foreign(api, name, host);
  } else if ((await api.createAddress(f, name, host)) === 'exists') {
    // Made by a concurrent call (another Lambda instance), or by someone else: look before using it.
    if (!isOurs((await api.ourAddresses(f)).get(name), host.ip)) throw foreign(api, name, host);
  }
  if (!known.members?.has(name)) await api.addMember(f, group, name);
}

async function blockOn(
  api: FortiOs,
  group: string,
  f: Family,
  hosts: readonly HostIp[],
): Promise<Map<string, RelayError | undefined>> {
  const [members, ours] = await Promise.all([api.groupMembers(f, group), api.ourAddresses(f)]);
  if (!members) {
    throw new RelayError(
      'not found',
      `FortiGate ${api.fw.key} has no ${groupLabel(f)} "${group}" in VDOM ${api.fw.vdom}: create it and use it in a deny policy (see the client README).`,
    );
  }
  if (!members.has(PLACEHOLDER[f])) {
    await ensureMember(api, f, group, PLACEHOLDER[f], { ip: PLACEHOLDER_ADDRESS[f] }, { ours, members });
  }
  const out = new Map<string, RelayError | undefined>();
  await Promise.all(
    hosts.map(async (h) => {
      const name = objectName(h);
      try {
        // Serialised per address in this process; a call that had to wait trusts no snapshot.
        await withKeyLock(`fortinet|${api.fw.key}|${h.ip}`, (waited) =>
          ensureMember(api, f, group, name, h, waited ? {} : { ours, members }),
        );
        out.set(h.ip, undefined);
      } catch (err) {
        out.set(h.ip, asRelayError(err));
      }
    }),
  );
  return out;
}

async function releaseOn(
  api: FortiOs,
  group: string,
  f: Family,
  hosts: readonly HostIp[],
  ctx: RequestContext,
): Promise<Map<string, RelayError | undefined>> {
  const out = new Map<string, RelayError | undefined>();
  const removed: HostIp[] = [];
  await Promise.all(
    hosts.map(async (h) => {
      try {
        await withKeyLock(`fortinet|${api.fw.key}|${h.ip}`, async () => {
          let r = await api.removeMember(f, group, objectName(h));
          if (r === 'would-empty') {
            // Our placeholder is missing (removed by hand, or a group we never blocked in): restore it first.
            await ensureMember(
              api,
              f,
              group,
              PLACEHOLDER[f],
              { ip: PLACEHOLDER_ADDRESS[f] },
              {
                ours: await api.ourAddresses(f),
              },
            );
            r = await api.removeMember(f, group, objectName(h));
            if (r === 'would-empty') {
              throw new RelayError(
                'state conflict',
                `FortiGate ${api.fw.key} refused to empty ${groupLabel(f)} "${group}".`,
              );
            }
          }
        });
        removed.push(h);
        out.set(h.ip, undefined);
      } catch (err) {
        out.set(h.ip, asRelayError(err));
      }
    }),
  );
  if (removed.length === 0) return out;
  // The member is gone, so the block is released; the object itself is only tidied up.
  try {
    const ours = await api.ourAddresses(f);
    await Promise.all(
      removed.map(async (h) => {
        const name = objectName(h);
        if (isOurs(ours.get(name), h.ip)) await api.deleteAddress(f, name);
      }),
    );
  } catch (err) {
    // The release stands: an unused leftover object blocks nothing, and the next release removes it.
    ctx.log.warn('FortiGate address objects left after release', {
      firewall: api.fw.key,
      reason: asRelayError(err).message,
    });
  }
  return out;
}
