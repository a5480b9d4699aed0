/**
 * Configuration of VAR-style response: the Vectra fields (brain, credentials,
 * tag and group names) plus the block clients the token lists in
 * `block_clients`, each validated from its own prefixed fields.
 */
import type { RelayConfig } from '../../kernel/config.js';
import type { Claims } from '../../kernel/context.js';
import { type BlockClientId, checkBlockClients, listedBlockClients } from '../block-clients.js';
import { parseVectraConfig, type VectraConfig } from '../vectra/config.js';

/** Observables that resolve to Vectra hosts; `user` resolves to accounts. */
export const HOST_TYPES: ReadonlySet<string> = new Set(['ip', 'ipv6', 'hostname', 'mac_address']);
export const SUPPORTED_TYPES: ReadonlySet<string> = new Set([...HOST_TYPES, 'user']);

export interface VarConfig {
  readonly vectra: VectraConfig;
  readonly clients: readonly BlockClientId[];
}

/** Enabled whenever Vectra is configured (tag actions need no block client). */
export function parseVarConfig(claims: Claims, config: RelayConfig): VarConfig | undefined {
  const vectra = parseVectraConfig(claims, config);
  if (!vectra) return undefined;
  checkBlockClients(claims, config);
  return { vectra, clients: listedBlockClients(claims) };
}
