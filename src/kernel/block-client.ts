/**
 * The block-client contract: VAR's `ThirdPartyInterface` (nine operations on
 * Vectra objects, each answering the element ids it really acted on, stored
 * by the VAR core as `VAR ID:<client name>:<id>` tags), plus what VAR lacks:
 *
 * - pending: a client whose change takes effect later (a firewall install
 *   job, an EDR isolation) answers the element as pending; the core records
 *   it as pending, never as blocked, and `confirm` later says whether it is
 *   in force, still pending or failed;
 * - static destination IPs answered as `{ ip, id }` pairs;
 * - a declaration as data (`BlockClientDeclaration`): module id, display
 *   name, capabilities and token fields, from which everything else is derived.
 *
 * Block clients implement only the rules of their device. The safety rules
 * (no-block sets, shared elements, recording) live in the VAR core, which
 * calls clients only through this contract.
 */
import type { RelayConfig } from './config.js';
import type { RequestContext } from './context.js';
import type { ClaimsSource, FieldSpecs, FieldValues } from './fields.js';
import type { VectraAccount, VectraDetection, VectraHost, VectraStaticIPs } from './model.js';
import type { VendorModule } from './vendor.js';

/** What a block client can do, declared as data (never probed). */
export type BlockCapability = 'host' | 'account' | 'detection' | 'static-ips' | 'groom';

export interface GroomDecision {
  readonly block: boolean;
  readonly unblock: boolean;
}

/** An element whose block is under way: `what` says what is running and what confirms it. */
export interface PendingElement {
  readonly id: string;
  readonly what: string;
}

/** A block answer: elements in force now, and elements still pending. */
export interface BlockAnswer {
  readonly inForce: readonly string[];
  readonly pending: readonly PendingElement[];
}

/** What a block operation may return: a plain list of ids (all in force, as in VAR) or a `BlockAnswer`. */
export type BlockResult = readonly string[] | BlockAnswer;

/** `confirm`'s answer for the pending ids it was given. */
export interface ConfirmAnswer {
  /** Final element ids now in force (may differ from the pending ids, e.g. the action id dropped). */
  readonly inForce: readonly string[];
  readonly pending: readonly PendingElement[];
  readonly failed: readonly { readonly id: string; readonly reason: string }[];
}

/** One static destination IP and the element id that blocks it at the client. */
export interface StaticElement {
  readonly ip: string;
  readonly id: string;
}

export type BlockTarget = VectraHost | VectraAccount | VectraDetection;

/**
 * VAR's nine operations, plus `confirm` for clients that answer pending.
 * Unsupported ones answer `[]` (or a no-op groom). Every operation is
 * idempotent: blocking what is already blocked (or pending) answers the same
 * ids and changes nothing; unblocking what is gone is success. Unblock
 * receives the object with its pending elements too, and cancels them.
 */
export interface BlockClient {
  /** VAR's module id, matched against `client:<module>` tags, e.g. `aws_nacl`. */
  readonly module: string;
  /** Display name persisted inside `VAR ID:<name>:<id>` tags. Never change it once shipped. */
  readonly name: string;
  readonly capabilities: ReadonlySet<BlockCapability>;
  blockHost(host: VectraHost): Promise<BlockAnswer>;
  unblockHost(host: VectraHost): Promise<string[]>;
  groomHost(host: VectraHost): Promise<GroomDecision>;
  blockAccount(account: VectraAccount): Promise<BlockAnswer>;
  unblockAccount(account: VectraAccount): Promise<string[]>;
  blockDetection(detection: VectraDetection): Promise<BlockAnswer>;
  unblockDetection(detection: VectraDetection): Promise<string[]>;
  blockStaticDstIps(ips: VectraStaticIPs): Promise<StaticElement[]>;
  unblockStaticDstIps(ips: VectraStaticIPs): Promise<StaticElement[]>;
  /** Clients that answer pending: where each pending id of `target` stands now. */
  confirm?(target: BlockTarget, pendingIds: readonly string[]): Promise<ConfirmAnswer>;
  /**
   * The one IP an element id blocks, for clients whose elements are derived from
   * an IP: the VAR core uses it to keep an element the engine's static list holds.
   */
  ipOf?(id: string): string | undefined;
  /** One cheap authenticated call proving credentials and reachability. */
  health?(): Promise<void>;
}

/**
 * A block client declared as data. The registry (`src/vendors/block-clients.ts`)
 * holds one of these per client; module files, CLI prompts, engine claims and
 * the contract suite are derived from it.
 */
export interface BlockClientDeclaration<F extends FieldSpecs = FieldSpecs, C = unknown> {
  /** VAR's folder name (`third_party_clients/<module>`) or a new stable id. */
  readonly module: string;
  /** Display name stored in `VAR ID:<name>:<id>` tags (VAR's, where VAR has the client). */
  readonly name: string;
  /** The product and API, for READMEs and messages: `FortiGate (FortiOS REST API)`. */
  readonly product: string;
  readonly capabilities: readonly BlockCapability[];
  /** Token fields, prefixed with the module id (`fortinet_url`); the form group is `product`. */
  readonly fields: F;
  /** Minimum upstream permissions, one line (the README's client table). */
  readonly permissions: string;
  /** Turns the parsed fields into the client's settings; cross-field rules throw `claimsError`. */
  configure(values: FieldValues<F>, config: RelayConfig, source: ClaimsSource): C;
  create(cfg: C, ctx: RequestContext): BlockClient;
  /** Respond actions of this product beyond block/unblock (an EDR's scans), as a relay vendor. */
  readonly vendor?: VendorModule<unknown>;
}

/** Keeps the field types of a declaration while checking its shape. */
export const declareBlockClient = <F extends FieldSpecs, C>(
  d: BlockClientDeclaration<F, C>,
): BlockClientDeclaration<F, C> => d;

/** What a client implements: block operations may answer a plain list of ids. */
type Ops = Partial<
  Omit<BlockClient, 'module' | 'name' | 'capabilities' | 'blockHost' | 'blockAccount' | 'blockDetection'> & {
    blockHost(host: VectraHost): Promise<BlockResult>;
    blockAccount(account: VectraAccount): Promise<BlockResult>;
    blockDetection(detection: VectraDetection): Promise<BlockResult>;
  }
>;

/**
 * Builds a full `BlockClient` from the operations a vendor really implements.
 * Missing operations answer `[]` (nothing acted on), like VAR's clients, and
 * groom answers "no change" — with the correct type, unlike VAR (vectra.md §7.2).
 * Every answer is checked, so a vendor that returns a bare string cannot
 * corrupt tags (vectra.md §7.7).
 */
export function defineBlockClient(
  identity: { module: string; name: string; capabilities: readonly BlockCapability[] },
  ops: Ops,
): BlockClient {
  const block =
    <A>(fn: ((arg: A) => Promise<BlockResult>) | undefined) =>
    async (arg: A): Promise<BlockAnswer> =>
      fn ? toBlockAnswer(await fn(arg), identity.name) : { inForce: [], pending: [] };
  const list =
    <A>(fn: ((arg: A) => Promise<string[]>) | undefined) =>
    async (arg: A): Promise<string[]> =>
      fn ? toIdList(await fn(arg), identity.name) : [];
  const statics =
    (fn: ((arg: VectraStaticIPs) => Promise<StaticElement[]>) | undefined) =>
    async (arg: VectraStaticIPs): Promise<StaticElement[]> =>
      fn ? toStaticList(await fn(arg), identity.name) : [];
  const noGroom: GroomDecision = { block: false, unblock: false };
  return {
    module: identity.module,
    name: identity.name,
    capabilities: new Set(identity.capabilities),
    blockHost: block(ops.blockHost),
    unblockHost: list(ops.unblockHost),
    groomHost: async (host) => (ops.groomHost ? { ...noGroom, ...(await ops.groomHost(host)) } : noGroom),
    blockAccount: block(ops.blockAccount),
    unblockAccount: list(ops.unblockAccount),
    blockDetection: block(ops.blockDetection),
    unblockDetection: list(ops.unblockDetection),
    blockStaticDstIps: statics(ops.blockStaticDstIps),
    unblockStaticDstIps: statics(ops.unblockStaticDstIps),
    ...(ops.confirm ? { confirm: ops.confirm } : {}),
    ...(ops.ipOf ? { ipOf: ops.ipOf } : {}),
    ...(ops.health ? { health: ops.health } : {}),
  };
}

/** Normalises a client's answer to a de-duplicated list of non-empty strings. */
export function toIdList(value: unknown, client: string): string[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`Block client ${client} returned ${typeof value} instead of a list of ids`);
  }
  const ids = value.map((v) => (typeof v === 'number' ? String(v) : v));
  if (!ids.every((v): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200)) {
    throw new TypeError(`Block client ${client} returned an id that is not a non-empty string`);
  }
  return [...new Set(ids)];
}

/** A block answer in its full form, checked; a plain list means "all in force". */
export function toBlockAnswer(value: unknown, client: string): BlockAnswer {
  if (Array.isArray(value)) return { inForce: toIdList(value, client), pending: [] };
  const v = value as Partial<BlockAnswer> | null;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.inForce) || !Array.isArray(v.pending)) {
    throw new TypeError(`Block client ${client} returned neither a list of ids nor { inForce, pending }`);
  }
  const inForce = toIdList(v.inForce, client);
  const pendingIds = toIdList(
    v.pending.map((p) => p?.id),
    client,
  );
  const pending = pendingIds
    .filter((id) => !inForce.includes(id))
    .map((id) => ({
      id,
      what: String(v.pending?.find((p) => p.id === id)?.what ?? 'a change still in progress').slice(0, 300),
    }));
  return { inForce, pending };
}

/** Static answers: `{ ip, id }` pairs with non-empty strings, de-duplicated. */
export function toStaticList(value: unknown, client: string): StaticElement[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`Block client ${client} returned ${typeof value} instead of a list of { ip, id }`);
  }
  const seen = new Set<string>();
  const out: StaticElement[] = [];
  for (const e of value as Partial<StaticElement>[]) {
    if (typeof e?.ip !== 'string' || typeof e.id !== 'string' || !e.ip || !e.id || e.id.length > 200) {
      throw new TypeError(`Block client ${client} returned a static element that is not { ip, id }`);
    }
    const key = `${e.ip}\n${e.id}`;
    if (!seen.has(key)) out.push({ ip: e.ip, id: e.id });
    seen.add(key);
  }
  return out;
}
