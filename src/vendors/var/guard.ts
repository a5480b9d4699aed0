/**
 * The no-block interlock for direct IP actions. When the token also configures
 * Vectra, the current IPs of the hosts in the no-block host group are off
 * limits to every block path — not only to "Block host", but also to a
 * network-ACL deny of the same address (or of a CIDR containing it). If the
 * group cannot be read, the guard fails closed: the caller offers or performs
 * no deny rather than risk cutting off a protected server.
 */
import pLimit from 'p-limit';
import type { RequestContext } from '../../relay/context.js';
import { VectraClient } from '../vectra/client.js';
import { parseVectraConfig } from '../vectra/config.js';

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
  const ids = await vectra.groupMembers(cfg.noBlockHostGroup, 'host');
  const limit = pLimit(ctx.config.upstreamConcurrency);
  const hosts = await Promise.all(ids.slice(0, 500).map((id) => limit(() => vectra.getHost(id))));
  return hosts.flatMap((h) => (h?.ip ? [{ ip: h.ip, name: h.name, group: cfg.noBlockHostGroup }] : []));
}
