/**
 * The registry of block clients (VAR's third-party clients): one line each.
 * A request may use those listed in the token's `block_clients` field, each
 * configured from its own declared fields. Everything else about a client
 * (module files, CLI prompts, engine claims, contract suite, smoke walk) is
 * derived from its declaration. See README.md, "Adding a block client".
 */
import type { BlockClient, BlockClientDeclaration } from '../kernel/block-client.js';
import type { RelayConfig } from '../kernel/config.js';
import type { Claims, RequestContext } from '../kernel/context.js';
import { type ClaimsSource, claimsError, type FieldSpecs, parseFields } from '../kernel/fields.js';
import { awsNaclClient } from './aws-nacl/index.js';
import { carbonBlackClient } from './carbon_black/index.js';
import { ciscoAsaHttpClient } from './cisco_asa_http/index.js';
import { ciscoFmcClient } from './cisco_fmc/index.js';
import { crowdstrikeClient } from './crowdstrike/index.js';
import { fortimanagerClient } from './fortimanager/index.js';
import { fortinetClient } from './fortinet/index.js';
import { microsoftDefenderClient } from './microsoft_defender/index.js';
import { panClient } from './pan/index.js';
import { testClient } from './test-client/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each declaration has its own settings type
type AnyDeclaration = BlockClientDeclaration<FieldSpecs, any>;

export const blockClients = {
  aws_nacl: awsNaclClient,
  fortinet: fortinetClient,
  fortimanager: fortimanagerClient,
  pan: panClient,
  cisco_fmc: ciscoFmcClient,
  cisco_asa_http: ciscoAsaHttpClient,
  carbon_black: carbonBlackClient,
  microsoft_defender: microsoftDefenderClient,
  crowdstrike: crowdstrikeClient,
  test_client: testClient,
} as const satisfies Record<string, AnyDeclaration>;

export type BlockClientId = keyof typeof blockClients;

export const isBlockClientId = (id: string): id is BlockClientId => Object.hasOwn(blockClients, id);

export const declarationOf = (id: BlockClientId): AnyDeclaration => blockClients[id] as AnyDeclaration;

/** Client ids listed in `block_clients`, validated; unknown ids are a configuration error. */
export function listedBlockClients(claims: Claims, source: ClaimsSource = 'jwt'): BlockClientId[] {
  const raw = claims.block_clients ?? '';
  const ids = [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  for (const id of ids) {
    if (!isBlockClientId(id)) {
      throw claimsError(
        source,
        `block_clients names unknown client ${id.slice(0, 40)} (known: ${Object.keys(blockClients).join(', ')})`,
      );
    }
  }
  return ids as BlockClientId[];
}

/** One client's settings from the claims: declared fields parsed, then its own cross-field rules. */
export function configureClient(
  id: BlockClientId,
  claims: Claims,
  config: RelayConfig,
  source: ClaimsSource = 'jwt',
): unknown {
  const d = declarationOf(id);
  return d.configure(parseFields(d.fields, claims, source), config, source);
}

/** Validates every listed client's fields without creating anything (cheap, for configure()). */
export function checkBlockClients(claims: Claims, config: RelayConfig, source: ClaimsSource = 'jwt'): void {
  for (const id of listedBlockClients(claims, source)) configureClient(id, claims, config, source);
}

/** Creates one listed client for this request. */
export function createBlockClient(id: BlockClientId, ctx: RequestContext): BlockClient {
  const source = ctx.claimsSource ?? 'jwt';
  return declarationOf(id).create(configureClient(id, ctx.claims, ctx.config, source), ctx);
}

/** Creates the block clients this request may use, in the order the token lists them. */
export function createBlockClients(ctx: RequestContext): BlockClient[] {
  return listedBlockClients(ctx.claims, ctx.claimsSource ?? 'jwt').map((id) => createBlockClient(id, ctx));
}
