/**
 * The safety guard as block clients and direct IP actions see it (the VAR
 * core implements it, `src/var/guard.ts`; the runtime puts one on each call
 * context whose claims configure Vectra). Block clients never reach Vectra
 * themselves: they ask this port.
 */

/** A host of the no-block group, by its current address. */
export interface ProtectedHost {
  readonly ip: string;
  readonly name: string;
  readonly group: string;
}

/** A Vectra record that relies on a block element. */
export interface RecordOwner {
  readonly kind: 'host' | 'account' | 'detection' | 'static-ips';
  /** Vectra id; `null` for the static destination IP list. */
  readonly id: number | null;
  readonly label: string;
}

export interface IpGuard {
  /** True for a host or account of the no-block groups; fails closed (throws) when unreadable. */
  isNoBlockHost(id: number): Promise<boolean>;
  isNoBlockAccount(id: number): Promise<boolean>;
  /**
   * Current addresses of the no-block group's hosts. Fails closed: throws when
   * the group cannot be read whole, so the caller denies nothing.
   */
  protectedHosts(): Promise<readonly ProtectedHost[]>;
  /**
   * The records holding `clientName`'s element `id` (an exact `VAR ID` tag), and
   * the static list when it holds `ip`; `except` (the record letting go) is left out.
   * Fails closed: throws when they cannot be read.
   */
  holders(
    clientName: string,
    id: string,
    ip: string | undefined,
    except?: Pick<RecordOwner, 'kind' | 'id'>,
  ): Promise<readonly RecordOwner[]>;
}
