/**
 * The Vectra vendor's request-time work, loaded on first use so the relay's
 * cold start does not pay for the HTTP stack (undici) on paths that never
 * call Vectra (`/version`, `/watchdog`, NACL-only modules).
 */
import type { RequestContext } from '../../kernel/context.js';
import { VectraClient } from './client.js';
import type { VectraConfig } from './config.js';
import { asRelayError } from './observe.js';
import { tileData } from './tiles.js';

export { observeVectra } from './observe.js';
export { referVectra } from './refer.js';

export async function health(cfg: VectraConfig, ctx: RequestContext): Promise<void> {
  try {
    await new VectraClient(cfg, ctx).health();
  } catch (err) {
    throw asRelayError(err);
  }
}

export async function tile(
  cfg: VectraConfig,
  tileId: string,
  period: string,
  ctx: RequestContext,
): Promise<Record<string, unknown>> {
  try {
    return await tileData(cfg, tileId, period, ctx);
  } catch (err) {
    throw asRelayError(err);
  }
}
