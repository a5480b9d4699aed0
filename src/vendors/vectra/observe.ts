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
import { type Lockdowns, lockdowns } from './lockdown.js';
import {
  accountSighting,
  detectionEntity,
  detectionSighting,
  hostSighting,
  isUnscored,
} from './sightings.js';

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
      const locks = await lockdownsOrWarn(client, 'host', warn);
      appendAll(
        out,
        (await withUrgency(client, 'host', hosts, warn)).map((h) =>
          hostSighting(h, o, cfg, locks?.get(h.id)),
        ),
      );
      appendAll(appendAll(detections, asSource), asDestination);
      break;
    }
    case 'hostname':
    case 'mac_address': {
      const hosts = (await client.findHosts(o, { maxItems: scan }, warn)).slice(0, max);
      const locks = await lockdownsOrWarn(client, 'host', warn);
      appendAll(
        out,
        (await withUrgency(client, 'host', hosts, warn)).map((h) =>
          hostSighting(h, o, cfg, locks?.get(h.id)),
        ),
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
      const locks = await lockdownsOrWarn(client, 'account', warn);
      appendAll(
        out,
        (await withUrgency(client, 'account', accounts, warn)).map((a) =>
          accountSighting(a, o, cfg, locks?.get(a.id)),
        ),
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
  const ordered = newestFirst(uniqueById(detections)).slice(0, Math.max(0, max - out.length));
  const urgency = await entityUrgencies(client, ordered, warn);
  appendAll(
    out,
    ordered.map((d) => {
      const e = detectionEntity(d);
      return detectionSighting(d, o, cfg, e ? urgency.get(`${e.type}:${e.id}`) : undefined);
    }),
  );
  return out.slice(0, max);
}

/** Vectra's lockdowns, or undefined (with a warning) when they cannot be read. */
async function lockdownsOrWarn(
  client: VectraClient,
  kind: 'host' | 'account',
  warn: (e: unknown) => void,
): Promise<Lockdowns | undefined> {
  try {
    return await lockdowns(client, kind);
  } catch (e) {
    warn(e);
    return undefined;
  }
}

const urgencyMemo = new WeakMap<VectraClient, Map<string, Promise<number | null>>>();

/**
 * v3: the urgency of the source entity of every unscored detection
 * (`type:id` → urgency), each entity read once per request; a failed read
 * is a warning and leaves that detection `Info`.
 */
async function entityUrgencies(
  client: VectraClient,
  detections: unknown[],
  warn: (e: unknown) => void,
): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  if (!client.isV3) return out;
  let memo = urgencyMemo.get(client);
  if (!memo) {
    memo = new Map();
    urgencyMemo.set(client, memo);
  }
  const cache = memo;
  const wanted = new Map<string, { type: 'host' | 'account'; id: number }>();
  for (const d of detections) {
    const e = isUnscored(d, client.cfg) ? detectionEntity(d) : undefined;
    if (e) wanted.set(`${e.type}:${e.id}`, e);
  }
  await Promise.all(
    [...wanted].map(async ([key, e]) => {
      let p = cache.get(key);
      if (!p) {
        p = client.entityUrgency(e.type, e.id);
        cache.set(key, p);
      }
      try {
        out.set(key, await p);
      } catch (err) {
        warn(err);
      }
    }),
  );
  return out;
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
