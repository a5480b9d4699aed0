/**
 * Which vendors a request may use, decided from its verified claims alone.
 * A vendor whose fields are absent is simply not enabled; one whose fields are
 * half set fails the request with `authorization error` naming the field.
 */

import type { RequestContext } from '../kernel/context.js';
import { claimsError } from '../kernel/fields.js';
import type { Observable } from '../kernel/observables.js';
import { normalise } from '../kernel/observables.js';
import type { VendorModule } from '../kernel/vendor.js';

/** A vendor module bound to its per-request configuration. */
export interface EnabledVendor {
  readonly module: VendorModule<unknown>;
  readonly cfg: unknown;
}

export function enabledVendors(
  modules: readonly VendorModule<unknown>[],
  ctx: RequestContext,
): EnabledVendor[] {
  const out: EnabledVendor[] = [];
  for (const module of modules) {
    const cfg = module.configure(ctx.claims, ctx.config);
    if (cfg !== undefined) out.push({ module, cfg });
  }
  return out;
}

/**
 * A token that enables nothing would make a module that checks healthy and
 * does nothing, so it is refused, naming the fields that enable a vendor.
 */
export function requireSomeVendor(enabled: EnabledVendor[]): EnabledVendor[] {
  if (enabled.length > 0) return enabled;
  throw claimsError(
    'jwt',
    'the token enables no vendor and no block client; set vectra_url (Vectra Detect) or block_clients (e.g. aws_nacl)',
  );
}

/** The observables one vendor should see: normalised and filtered to its types. */
export const observablesFor = (v: EnabledVendor, observables: readonly Observable[]): Observable[] =>
  normalise(observables, v.module.supportedTypes);
