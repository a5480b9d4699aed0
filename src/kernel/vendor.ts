/**
 * The two interfaces every vendor folder implements.
 *
 * - `VendorModule`: the relay surface (health, observe, refer, respond,
 *   trigger, tiles). Each method is optional; capabilities are what is present.
 * - `BlockClientModule`: a third-party block client in the shape of Vectra's
 *   Automated Response framework (VAR) `ThirdPartyInterface`: nine operations,
 *   each returning the element ids it really acted on, which VAR and the relay
 *   store in Vectra as `VAR ID:<client name>:<id>` tags.
 *
 * Vendors are enabled per request from the verified token: a `VendorModule` by
 * its own fields, a block client by being listed in `block_clients`.
 */
import type { RelayConfig } from './config.js';
import type { Claims, RequestContext } from './context.js';
import type { ObserveData, Reference, RespondAction } from './ctim.js';
import type { WireError } from './errors.js';
import type { Observable } from './observables.js';

/** Data plus the errors met while collecting it: partial results travel together. */
export interface Outcome<T> {
  data: T;
  errors: unknown[];
}

/** `/respond/trigger` body after validation: the three required keys plus echoed query-params. */
export interface TriggerRequest {
  readonly actionId: string;
  readonly observable: Observable;
  readonly params: Readonly<Record<string, string>>;
}

export interface TriggerResult {
  /** Element ids or entries acted on, for the audit record. */
  readonly elements: readonly string[];
  /** Which client or target did it, for the audit record. */
  readonly client?: string;
  /** True when the state was already as asked and nothing was written. */
  readonly unchanged?: boolean;
  /** Set when the change is under way, not in force: what runs and what confirms it. */
  readonly pending?: string;
}

export interface TileDescriptor {
  id: string;
  type: string;
  title: string;
  tags: string[];
  description: string;
  short_description: string;
  periods: string[];
  default_period: string;
}

export interface VendorModule<C = unknown> {
  readonly id: string;
  readonly title: string;
  /** Observable types this vendor handles (lower-case). */
  readonly supportedTypes: ReadonlySet<string>;
  /**
   * Reads this vendor's fields from the claims. `undefined` when the token does
   * not configure this vendor; throws `authorization error` when it is half set.
   */
  configure(claims: Claims, config: RelayConfig): C | undefined;
  /** Throws when unhealthy; may resolve with warnings worth showing (kept beside `status: ok`). */
  // biome-ignore lint/suspicious/noConfusingVoidType: most checks resolve with nothing at all
  health?(cfg: C, ctx: RequestContext): Promise<void | readonly WireError[]>;
  observe?(cfg: C, observables: readonly Observable[], ctx: RequestContext): Promise<Outcome<ObserveData>>;
  refer?(cfg: C, observables: readonly Observable[], ctx: RequestContext): Promise<Outcome<Reference[]>>;
  respond?(
    cfg: C,
    observables: readonly Observable[],
    ctx: RequestContext,
  ): Promise<Outcome<RespondAction[]>>;
  /** True when this vendor owns the action id (prefix match). */
  ownsAction?(actionId: string): boolean;
  trigger?(cfg: C, request: TriggerRequest, ctx: RequestContext): Promise<TriggerResult>;
  tiles?: {
    list(cfg: C): TileDescriptor[];
    data(cfg: C, tileId: string, period: string, ctx: RequestContext): Promise<Record<string, unknown>>;
  };
}
