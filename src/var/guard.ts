/**
 * The VAR core's guard, one implementation for every block client and every
 * path (relay respond, direct IP actions, engine):
 *
 * - no-block objects: hosts and accounts of the no-block groups are never
 *   blocked, and no address of a no-block host reaches any client, whether it
 *   comes as a host IP, a detection destination or a static IP;
 * - shared elements: an element (a deny, an address object) is released only
 *   when no other record holds it — a host, account or detection whose tags
 *   hold exactly `VAR ID:<client>:<id>`, or the engine's static list when it
 *   holds the element's IP.
 *
 * Both fail closed: if Vectra cannot be read, the caller blocks nothing and
 * releases nothing. Reads are made once per guard (one guard per request or
 * per engine run), whoever asks first.
 */
import pLimit from 'p-limit';
import { parseCidr } from '../kernel/cidr.js';
import { RelayError } from '../kernel/errors.js';
import type { IpGuard, ProtectedHost, RecordOwner } from '../kernel/guard.js';
import type { VarPort } from './ports.js';
import { varIdTag } from './state.js';

/** Hosts whose addresses the guard reads one by one; a larger no-block group fails closed. */
export const MAX_PROTECTED = 500;

export interface GuardSettings {
  readonly noBlockHostGroup: string;
  readonly noBlockAccountGroup: string;
  /** The applied static destination IP list (canonical CIDRs); none when there is no engine list. */
  readonly staticIps?: () => Promise<readonly string[]>;
  readonly concurrency?: number;
}

export type VarGuard = IpGuard;

const once = <T>(fn: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
};

export function createGuard(port: VarPort, s: GuardSettings): VarGuard {
  const hostIds = once(async () => new Set(await port.hostGroupMemberIds(s.noBlockHostGroup)));
  const accountIds = once(
    async () => new Set((await port.accountGroupMembers(s.noBlockAccountGroup)).map((a) => a.id)),
  );
  const hosts = once(async (): Promise<ProtectedHost[]> => {
    const ids = [...(await hostIds())];
    if (ids.length > MAX_PROTECTED) {
      // Fail closed rather than protect only some of them.
      throw new RelayError(
        'service unavailable',
        `The no-block group "${s.noBlockHostGroup}" has ${ids.length} hosts; the guard reads at most ${MAX_PROTECTED}, so nothing is blocked by address.`,
      );
    }
    const limit = pLimit(s.concurrency ?? 8);
    const found = await Promise.all(ids.map((id) => limit(() => port.getHost(id))));
    return found.flatMap((h) => (h?.ip ? [{ ip: h.ip, name: h.name, group: s.noBlockHostGroup }] : []));
  });
  const statics = once(async () =>
    (s.staticIps ? await s.staticIps() : []).map((v) => parseCidr(v)?.text).filter(Boolean),
  );

  return {
    isNoBlockHost: async (id) => (await hostIds()).has(id),
    isNoBlockAccount: async (id) => (await accountIds()).has(id),
    protectedHosts: hosts,
    async holders(clientName, id, ip, except) {
      const tag = varIdTag(clientName, id);
      // The API's tag filter is a substring match: re-check every answer exactly.
      const [h, a, d, st] = await Promise.all([
        port.listHosts({ tags: tag }),
        port.listAccounts({ tags: tag }),
        port.listDetections({ tags: tag }),
        ip === undefined ? Promise.resolve([]) : statics(),
      ]);
      const canonical = ip === undefined ? undefined : parseCidr(ip)?.text;
      const owners: RecordOwner[] = [
        ...h.filter((o) => o.allTags.includes(tag)).map((o) => owner('host', o.id, `host ${o.name}`)),
        ...a.filter((o) => o.allTags.includes(tag)).map((o) => owner('account', o.id, `account ${o.name}`)),
        ...d.filter((o) => o.allTags.includes(tag)).map((o) => owner('detection', o.id, `detection ${o.id}`)),
        ...(canonical !== undefined && st.includes(canonical)
          ? [owner('static-ips', null, 'the static destination IP list')]
          : []),
      ];
      return owners.filter((o) => !(except && o.kind === except.kind && o.id === except.id));
    },
  };
}

const owner = (kind: RecordOwner['kind'], id: number | null, label: string): RecordOwner => ({
  kind,
  id,
  label,
});
