/**
 * The no-block interlock for direct IP actions. When the token also configures
 * Vectra, the current IPs of the hosts in the no-block host group are off
 * limits to every block path — not only to "Block host", but also to a
 * network-ACL deny of the same address (or of a CIDR containing it). If the
 * group cannot be read, the guard fails closed: the caller offers or performs
 * no deny rather than risk cutting off a protected server.
 */
import pLimit from 'p-limit';
import type { RequestContext } from '../kernel/context.js';
import { RelayError } from '../kernel/errors.js';
import { VectraClient } from '../vendors/vectra/client.js';
import { parseVectraConfig, type VectraConfig } from '../vendors/vectra/config.js';

/** Hosts the interlock reads one by one; a larger no-block group makes it fail closed. */
const MAX_PROTECTED = 500;

/**
 * The one way the relay reads the no-block groups: ids of their members,
 * fetched at most once per request and per kind, whoever asks first.
 */
export function noBlockMembers(vectra: VectraClient, cfg: VectraConfig) {
  let hosts: Promise<Set<number>> | undefined;
  let accounts: Promise<Set<number>> | undefined;
  return {
    host: () => (hosts ??= vectra.groupMembers(cfg.noBlockHostGroup, 'host').then((ids) => new Set(ids))),
    account: () =>
      (accounts ??= vectra
        .groupMembers(cfg.noBlockAccountGroup, 'account')
        .then((list) => new Set(list.map((a) => a.id)))),
  };
}

export interface ProtectedHost {
  readonly ip: string;
  readonly name: string;
  readonly group: string;
}

/** Current IPs of the no-block group's hosts; empty when the token does not configure Vectra. */
export async function noBlockHosts(ctx: RequestContext): Promise<ProtectedHost[]> {
  const cfg = parseVectraConfig(ctx.claims, ctx.config);
  if (!cfg) return [];
  const vectra = new VectraClient(cfg, ctx);
  const ids = [...(await noBlockMembers(vectra, cfg).host())];
  if (ids.length > MAX_PROTECTED) {
    // Fail closed rather than protect only some of them.
    throw new RelayError(
      'service unavailable',
      `The no-block group "${cfg.noBlockHostGroup}" has ${ids.length} hosts; the interlock reads at most ${MAX_PROTECTED}, so no deny is made.`,
    );
  }
  const limit = pLimit(ctx.config.upstreamConcurrency);
  const hosts = await Promise.all(ids.map((id) => limit(() => vectra.getHost(id))));
  return hosts.flatMap((h) => (h?.ip ? [{ ip: h.ip, name: h.name, group: cfg.noBlockHostGroup }] : []));
}

/** A Vectra record that relies on one NACL element (a deny). */
export interface RecordOwner {
  readonly kind: 'host' | 'detection' | 'static-ips';
  readonly id: number | null;
  readonly label: string;
}

/** The engine's static destination IP list lives in this `ip` group (engine policy default). */
export const STATIC_IPS_GROUP = 'VAR Static Blocked IPs';

/**
 * Every Vectra record that relies on a NACL element: hosts and detections whose
 * tags hold exactly `tag` (the API's tag filter is a substring match), and the
 * engine's static IP list when it holds `cidr`.
 */
export async function varRecordedOwners(
  ctx: RequestContext,
  tag: string,
  cidr: string,
): Promise<RecordOwner[]> {
  const cfg = parseVectraConfig(ctx.claims, ctx.config);
  if (!cfg) return [];
  const vectra = new VectraClient(cfg, ctx);
  const [hosts, detections, statics] = await Promise.all([
    vectra.listHosts({ tags: tag }, { maxItems: 20 }),
    vectra.listDetections({ tags: tag }, { maxItems: 20 }),
    // The engine names its group in the claims it hands its clients (policy STATIC_IPS_GROUP_NAME).
    vectra.getGroupMembers(ctx.claims.var_static_ips_group ?? STATIC_IPS_GROUP, 'ip'),
  ]);
  const canonical = (v: string) => (v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`).toLowerCase();
  return [
    ...hosts.map((h) => ({ kind: 'host' as const, id: h.id, label: `host ${h.name}` })),
    ...detections.map((d) => ({ kind: 'detection' as const, id: d.id, label: `detection ${d.id}` })),
    ...(statics.some((m) => canonical(m) === cidr.toLowerCase())
      ? [{ kind: 'static-ips' as const, id: null, label: 'the static destination IP list' }]
      : []),
  ];
}
