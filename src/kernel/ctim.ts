/**
 * CTIM entity helpers: transient ids, schema version, `count/docs` envelopes.
 * Vendors build entities; this module only knows their common shape.
 */

import { randomUUID } from 'node:crypto';
import { appendAll } from './arrays.js';

export const SCHEMA_VERSION = '1.3.13';

export type EntityKind = 'sightings' | 'judgements' | 'verdicts' | 'indicators' | 'relationships';
export const ENTITY_KINDS: readonly EntityKind[] = [
  'sightings',
  'judgements',
  'verdicts',
  'indicators',
  'relationships',
];

/** One CTIM entity as JSON; vendors fill in the fields their type needs. */
export type CtimEntity = Readonly<Record<string, unknown>> & { readonly type: string };

/** Entities collected per kind, before the `count/docs` wrapping. */
export type ObserveData = Partial<Record<EntityKind, CtimEntity[]>>;

export const transientId = (entity: string): string => `transient:${entity}-${randomUUID()}`;

export interface TimeRange {
  start_time: string;
  end_time?: string;
}

/** Merges entity lists from several vendors/observables. */
export function mergeObserveData(into: ObserveData, from: ObserveData): ObserveData {
  for (const kind of ENTITY_KINDS) {
    const docs = from[kind];
    if (!docs?.length) continue;
    const target = into[kind] ?? [];
    appendAll(target, docs);
    into[kind] = target;
  }
  return into;
}

/** `{sightings: {count, docs}, …}` with empty kinds omitted. */
export function toCtimEnvelope(data: ObserveData): Record<string, { count: number; docs: CtimEntity[] }> {
  const out: Record<string, { count: number; docs: CtimEntity[] }> = {};
  for (const kind of ENTITY_KINDS) {
    const docs = data[kind];
    if (docs?.length) out[kind] = { count: docs.length, docs };
  }
  return out;
}

/** A reference (refer) as the platform expects it. */
export interface Reference {
  id: string;
  title: string;
  description: string;
  url: string;
  categories: string[];
}

/** A response action (respond/observables). */
export interface RespondAction {
  id: string;
  title: string;
  description: string;
  categories: string[];
  'query-params': Record<string, string>;
}
