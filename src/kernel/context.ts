/**
 * The per-request context passed down every call chain: verified claims,
 * limits, the overall deadline and a logger. Credentials live here and only
 * here for the duration of one request; nothing is written into module state.
 */
import type { CacheRegistry } from './caches.js';
import type { RelayConfig } from './config.js';
import type { ClaimsSource } from './fields.js';
import type { IpGuard } from './guard.js';
import type { HostDirectory } from './hosts.js';
import type { Logger } from './logger.js';

/** Flat string claims of the verified JWT (XDR module forms send flat `custom_*` fields). */
export type Claims = Readonly<Record<string, string>>;

export interface RequestContext {
  readonly config: RelayConfig;
  readonly claims: Claims;
  /** Where the claims came from, for error wording (default `jwt`). */
  readonly claimsSource?: ClaimsSource;
  /** CTR_ENTITIES_LIMIT from the token: max entities per observable per list. */
  readonly entitiesLimit: number;
  /** Aborts when the request's overall deadline passes. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds by which every upstream call must be done. */
  readonly deadline: number;
  readonly log: Logger;
  readonly moduleInstanceId: string | undefined;
  /** The VAR core's guard, when the claims configure Vectra (set by the runtime or the engine). */
  readonly guard?: IpGuard;
  /** The runtime's caches (tokens, pools, clients, pacers); `processCaches` when absent. */
  readonly caches?: CacheRegistry;
  /** Vectra's hosts, when the claims configure Vectra (set by the runtime). */
  readonly hosts?: HostDirectory;
}

export const DEFAULT_ENTITIES_LIMIT = 100;
/** The most entities a token may ask for: every one is held in memory and serialised. */
export const MAX_ENTITIES_LIMIT = 1000;

/** CTR_ENTITIES_LIMIT: default 100 when missing, non-numeric or not positive; at most 1,000. */
export function entitiesLimit(raw: string | undefined): number {
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return DEFAULT_ENTITIES_LIMIT;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) return DEFAULT_ENTITIES_LIMIT;
  return Math.min(n, MAX_ENTITIES_LIMIT);
}
