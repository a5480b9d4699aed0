/**
 * Vectra's hosts as a product vendor sees them (an EDR's respond actions on
 * "the machine of this Vectra host"): looked up through this port, which the
 * runtime puts on the context when the claims configure Vectra, so product
 * folders never import the Vectra client.
 */
import type { VectraHost } from './model.js';
import type { Observable } from './observables.js';

export interface HostDirectory {
  /** Hosts an `ip`, `ipv6`, `hostname` or `mac_address` observable names (a few at most). */
  find(observable: Observable): Promise<VectraHost[]>;
  /** One host by Vectra id; `null` when it no longer exists. */
  get(id: number): Promise<VectraHost | null>;
}
