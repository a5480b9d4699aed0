/**
 * observe/observables for Vectra Detect (vectra.md §5): per observable, the
 * hosts or accounts it names and the detections it takes part in, as CTIM
 * sightings. Observables run in parallel under the configured bound; one that
 * fails contributes its error and the others still answer (partial data).
 * On v2.5 the ip/ipv6 observables of a request are looked up together in a
 * few `/search` calls (`batch.ts`); destination lookups use `/search` too. v3
 * has no search, so it asks `detections?destination=` and re-checks the match
 * client-side, one observable at a time.
 */

import pLimit from 'p-limit';
import { appendAll } from '../../kernel/arrays.js';
import type { RequestContext } from '../../kernel/context.js';
import type { CtimEntity, ObserveData } from '../../kernel/ctim.js';
import { RelayError } from '../../kernel/errors.js';
import type { Observable } from '../../kernel/observables.js';
import type { Outcome } from '../../kernel/vendor.js';
import { ipValues } from './batch.js';
import { OBSERVE_TYPES } from './catalog.js';
import { VectraClient } from './client.js';
import type { VectraConfig } from './config.js';
import { accountSighting, detectionSighting, hostSighting } from './sightings.js';

export { OBSERVE_TYPES } from './catalog.js';

/** Detections examined per observable before the entities limit is applied. */
const SCAN_CAP = 200;

export async function observeVectra(
  cfg: VectraConfig,
  observables: readonly Observable[],
  ctx: RequestContext,
  client: VectraClient = new VectraClient(cfg, ctx),
): Promise<Outcome<ObserveData>> {
  const supported = observables.filter((o) => OBSERVE_TYPES.has(o.type));
  const scan = Math.max(ctx.entitiesLimit, 50);
  client.ips.prefetch(ipValues(supported), {
    hosts: scan,
    sources: Math.min(scan, SCAN_CAP),
    destinations: SCAN_CAP,
  });
  const limit = pLimit(ctx.config.upstreamConcurrency);
  const errors: unknown[] = [];
  const warn = (e: unknown) => errors.push(asWarning(e));
  const settled = await Promise.allSettled(
    supported.map((o) => limit(() => observeOne(client, o, ctx, warn))),
  );
  const sightings: CtimEntity[] = [];
  for (const r of settled) {
    if (r.status === 'fulfilled') appendAll(sightings, r.value);
    else errors.push(r.reason);
  }
  return { data: sightings.length ? { sightings } : {}, errors: dedupeErrors(errors) };
}

async function observeOne(
  client: VectraClient,
  o: Observable,
  ctx: RequestContext,
  warn: (e: unknown) => void,
): Promise<CtimEntity[]> {
  const cfg = client.cfg;
  const max = ctx.entitiesLimit;
  const scan = Math.max(max, 50);
  const out: CtimEntity[] = [];
  const detections: unknown[] = [];

  switch (o.type) {
    case 'ip':
    case 'ipv6': {
      const [hosts, asSource, asDestination] = await Promise.all([
        client.findHosts(o, { maxItems: scan }),
        client.sourceDetections(o.value, Math.min(scan, SCAN_CAP)),
        client.destinationDetections(o, SCAN_CAP),
      ]);
      appendAll(
        out,
        (await withUrgency(client, 'host', hosts, warn)).map((h) => hostSighting(h, o, cfg)),
      );
      appendAll(appendAll(detections, asSource), asDestination);
      break;
    }
    case 'hostname':
    case 'mac_address': {
      const hosts = (await client.findHosts(o, { maxItems: scan }, warn)).slice(0, max);
      appendAll(
        out,
        (await withUrgency(client, 'host', hosts, warn)).map((h) => hostSighting(h, o, cfg)),
      );
      const perHost = await Promise.all(
        hosts.map((h) =>
          client.listDetectionsRaw({ host_id: h.id, state: 'active' }, { maxItems: Math.min(max, SCAN_CAP) }),
        ),
      );
      appendAll(detections, perHost.flat());
      break;
    }
    case 'domain':
      appendAll(detections, await client.destinationDetections(o, SCAN_CAP));
      break;
    case 'user': {
      const accounts = (await client.findAccounts(o.value, { maxItems: scan })).slice(0, max);
      appendAll(
        out,
        (await withUrgency(client, 'account', accounts, warn)).map((a) => accountSighting(a, o, cfg)),
      );
      const perAccount = await Promise.all(
        accounts.map((a) => client.accountDetectionsRaw(a, Math.min(max, SCAN_CAP), warn)),
      );
      appendAll(detections, perAccount.flat());
      break;
    }
    default:
      return [];
  }
  appendAll(
    out,
    newestFirst(uniqueById(detections)).map((d) => detectionSighting(d, o, cfg)),
  );
  return out.slice(0, max);
}

/**
 * v3: each object with its entity's urgency (v3 hosts/accounts do not carry
 * it). An urgency that cannot be read leaves the object as it is (severity
 * then falls back to the quadrant) and is reported as a warning.
 */
async function withUrgency<T extends { id: number; urgency: number | null }>(
  client: VectraClient,
  type: 'host' | 'account',
  objects: T[],
  warn: (e: unknown) => void,
): Promise<T[]> {
  if (!client.isV3) return objects;
  return Promise.all(
    objects.map(async (o) => {
      if (o.urgency !== null) return o;
      try {
        const urgency = await client.entityUrgency(type, o.id);
        return urgency === null ? o : { ...o, urgency };
      } catch (e) {
        warn(e);
        return o;
      }
    }),
  );
}

function uniqueById(items: unknown[]): unknown[] {
  const seen = new Set<string>();
  return items.filter((d) => {
    const id = String((d as { id?: unknown })?.id);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function newestFirst(items: unknown[]): unknown[] {
  const t = (d: unknown) =>
    Date.parse(String((d as { last_timestamp?: unknown })?.last_timestamp ?? '')) || 0;
  return [...items].sort((a, b) => t(b) - t(a));
}

/** One error per distinct code+message (ten failing observables rarely need ten identical errors). */
export function dedupeErrors(errors: unknown[]): RelayError[] {
  const seen = new Set<string>();
  return errors.map(asRelayError).filter((e) => {
    const key = `${e.code}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A failed part of an answer that still has data: the same error, as a warning. */
export const asWarning = (e: unknown): RelayError => {
  const r = asRelayError(e);
  return new RelayError(r.code, `Partial result: ${r.message}`, { type: 'warning', cause: e });
};

/** Only `RelayError`s leave the vendor. */
export const asRelayError = (e: unknown): RelayError =>
  e instanceof RelayError
    ? e
    : new RelayError('unknown', 'Unexpected error in the Vectra Detect module.', { cause: e });
