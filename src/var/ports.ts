/**
 * The VAR core's view of Vectra: exactly the operations the applier, the
 * guard and the engine's policy loop need, and nothing else. The core depends
 * only on this port, so it runs against an in-memory implementation in tests
 * and against `VectraClient` in production (`src/vendors/vectra/var-port.ts`),
 * for the relay's respond and for the engine alike.
 *
 * Contract every implementation keeps:
 * - list queries return every page, parsed, or throw when the list cannot be
 *   read whole (never a prefix: planning on it would mass-unblock); a `tags`
 *   filter is already re-checked exactly (the engine re-checks it anyway, because the API's
 *   `tags` filter is a substring match — vectra.md §7.3);
 * - `get*` answers `null` for an object that does not exist (404);
 * - `updateTags` is a read-modify-write that keeps every tag `mutate` keeps.
 */
import type { VectraAccount, VectraDetection, VectraHost, VectraObjectKind } from '../kernel/model.js';

/** Filters the engine uses on `/hosts` and `/accounts`. */
export interface EntityQuery {
  readonly tags?: string;
  readonly threat_gte?: number;
  readonly certainty_gte?: number;
}

/** Filters the engine uses on `/detections`. */
export interface DetectionQuery {
  readonly tags?: string;
  readonly detection_type?: string;
  readonly state?: string;
  readonly host_id?: number;
}

/** The outcome of `updateTags`: the final tags, and whether this call changed them. */
export interface TagUpdate {
  readonly tags: readonly string[];
  readonly changed: boolean;
}

export interface VarPort {
  /** Urgency selection exists only on the v3 platform API. */
  readonly apiVersion: 'v2.5' | 'v3';
  listHosts(query: EntityQuery): Promise<VectraHost[]>;
  listAccounts(query: EntityQuery): Promise<VectraAccount[]>;
  listDetections(query: DetectionQuery): Promise<VectraDetection[]>;
  getHost(id: number): Promise<VectraHost | null>;
  getAccount(id: number): Promise<VectraAccount | null>;
  /** Host ids of the host group called exactly `name` (no host fetch: callers fetch only candidates). */
  hostGroupMemberIds(name: string): Promise<number[]>;
  /** Accounts of the account group called exactly `name` (Vectra lists account members by uid). */
  accountGroupMembers(name: string): Promise<VectraAccount[]>;
  /** v3 only: hosts or accounts with urgency ≥ `min`. */
  hostsByUrgency(min: number): Promise<VectraHost[]>;
  accountsByUrgency(min: number): Promise<VectraAccount[]>;
  updateTags(kind: VectraObjectKind, id: number, mutate: (tags: string[]) => string[]): Promise<TagUpdate>;
  addNote(kind: VectraObjectKind, id: number, text: string): Promise<void>;
}

/**
 * Where the last applied static destination IP list is kept. VAR uses a local
 * file; a Lambda has no durable disk, so production keeps it in Vectra (an
 * `ip` group) and the CLI may use a file.
 */
export interface StaticIpStore {
  /** The list applied by the last successful run (empty when none). */
  read(): Promise<string[]>;
  write(ips: readonly string[]): Promise<void>;
}

/** The engine's name for the port (the engine uses all of it). */
export type EnginePort = VarPort;
