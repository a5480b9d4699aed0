/**
 * The registry of block clients (VAR's third-party clients), and the choice of
 * which ones a request may use: those listed in the token's `block_clients`
 * field, each configured from its own prefixed fields. Adding one of VAR's
 * clients is one folder under `src/vendors/` plus one line in `blockClients`.
 */
import type { RelayConfig } from '../kernel/config.js';
import type { Claims, RequestContext } from '../kernel/context.js';
import { authError } from '../kernel/errors.js';
import type { BlockClient, BlockClientModule } from '../kernel/vendor.js';
import { awsNaclBlockClient } from './aws-nacl/index.js';
import { testBlockClient } from './test-client/index.js';

export const blockClients = {
  aws_nacl: awsNaclBlockClient,
  test_client: testBlockClient,
} as const satisfies Record<string, BlockClientModule<unknown>>;

export type BlockClientId = keyof typeof blockClients;

const isBlockClientId = (id: string): id is BlockClientId => Object.hasOwn(blockClients, id);

/** Client ids listed in `block_clients`, validated; unknown ids are a configuration error. */
export function listedBlockClients(claims: Claims): BlockClientId[] {
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
      throw authError(
        `Wrong JWT payload structure: block_clients names unknown client ${id.slice(0, 40)} (known: ${Object.keys(blockClients).join(', ')})`,
      );
    }
  }
  return ids as BlockClientId[];
}

/** Validates every listed client's fields without creating anything (cheap, for configure()). */
export function checkBlockClients(claims: Claims, config: RelayConfig): void {
  for (const id of listedBlockClients(claims))
    (blockClients[id] as BlockClientModule<unknown>).configure(claims, config);
}

/** Creates the block clients this request may use, in the order the token lists them. */
export function createBlockClients(ctx: RequestContext): BlockClient[] {
  return listedBlockClients(ctx.claims).map((id) => {
    const module = blockClients[id] as BlockClientModule<unknown>;
    return module.create(module.configure(ctx.claims, ctx.config), ctx);
  });
}
