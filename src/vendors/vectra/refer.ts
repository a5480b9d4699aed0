/**
 * refer/observables: links back into the Vectra UI. On v2.5 every supported
 * observable gets a search pivot (no upstream call); hosts and accounts
 * named by an ip/ipv6/hostname/mac_address/user also get a `Browse` link to
 * their page, which needs a bounded lookup — a failed lookup returns the
 * pivots plus the error.
 */

import pLimit from 'p-limit';
import { appendAll } from '../../kernel/arrays.js';
import type { RequestContext } from '../../kernel/context.js';
import type { Reference } from '../../kernel/ctim.js';
import { humanType, type Observable } from '../../kernel/observables.js';
import type { Outcome } from '../../kernel/vendor.js';
import { ipValues } from './batch.js';
import { luceneEscape, VectraClient } from './client.js';
import type { VectraConfig } from './config.js';
import { dedupeErrors, OBSERVE_TYPES } from './observe.js';
import { VENDOR } from './product.js';

const PIVOT: Record<string, { kind: 'hosts' | 'detections' | 'accounts'; field: string }> = {
  ip: { kind: 'hosts', field: 'host.last_source' },
  ipv6: { kind: 'hosts', field: 'host.last_source' },
  hostname: { kind: 'hosts', field: 'host.name' },
  mac_address: { kind: 'hosts', field: 'host.host_artifact_set.value' },
  domain: { kind: 'detections', field: 'detection.grouped_details.target_domains' },
  user: { kind: 'accounts', field: 'account.name' },
};

const BROWSE_TYPES = new Set(['ip', 'ipv6', 'hostname', 'mac_address', 'user']);
/** Browse links per observable at most. */
const MAX_BROWSE = 5;
/** Objects examined per browse lookup. */
const BROWSE_SCAN = 50;

/**
 * The search pivot for one observable (pure). Only the Quadrant UX (v2.5)
 * has a search page (`/search/<kind>?query_string=`); no public source gives
 * the Respond UX (v3) a search route, so v3 gets none rather than a dead link.
 */
export function searchReference(cfg: VectraConfig, o: Observable): Reference | null {
  const pivot = PIVOT[o.type];
  if (!pivot || cfg.apiVersion === 'v3') return null;
  const query = `${pivot.field}:"${luceneEscape(o.value)}"`;
  const human = humanType(o.type);
  return {
    id: `ref-vectra-search-${o.type}-${o.value}`,
    title: `Search for this ${human}`,
    description: `Lookup this ${human} on ${VENDOR}`,
    url: `${cfg.uiUrl}/search/${pivot.kind}?query_string=${encodeURIComponent(query)}`,
    categories: ['Search', VENDOR],
  };
}

const browse = (cfg: VectraConfig, kind: 'host' | 'account', id: number, name: string): Reference => ({
  id: `ref-vectra-browse-${kind}-${id}`,
  title: `Browse ${kind} ${name}`,
  description: `Open ${kind} ${name} on ${VENDOR}`,
  url: `${cfg.uiUrl}/${kind}s/${id}`,
  categories: ['Browse', VENDOR],
});

export async function referVectra(
  cfg: VectraConfig,
  observables: readonly Observable[],
  ctx: RequestContext,
  client: VectraClient = new VectraClient(cfg, ctx),
): Promise<Outcome<Reference[]>> {
  const supported = observables.filter((o) => OBSERVE_TYPES.has(o.type));
  // v2.5: the browse lookups of every ip/ipv6 in one search (batch.ts).
  client.ips.prefetch(ipValues(supported), { hosts: BROWSE_SCAN });
  const limit = pLimit(ctx.config.upstreamConcurrency);
  const errors: unknown[] = [];
  const perObservable = await Promise.all(
    supported.map(async (o) => {
      const refs: Reference[] = [];
      const search = searchReference(cfg, o);
      if (search) refs.push(search);
      if (!BROWSE_TYPES.has(o.type)) return refs;
      try {
        appendAll(refs, await limit(() => browseLinks(client, cfg, o)));
      } catch (err) {
        errors.push(err);
      }
      return refs;
    }),
  );
  const seen = new Set<string>();
  const data = perObservable.flat().filter((r) => !seen.has(r.id) && seen.add(r.id));
  return { data, errors: dedupeErrors(errors) };
}

async function browseLinks(client: VectraClient, cfg: VectraConfig, o: Observable): Promise<Reference[]> {
  if (o.type === 'user') {
    const accounts = await client.findAccounts(o.value, { maxItems: BROWSE_SCAN });
    return accounts.slice(0, MAX_BROWSE).map((a) => browse(cfg, 'account', a.id, a.name));
  }
  const hosts = await client.findHosts(o, { maxItems: BROWSE_SCAN });
  return hosts.slice(0, MAX_BROWSE).map((h) => browse(cfg, 'host', h.id, h.name || h.ip || String(h.id)));
}
