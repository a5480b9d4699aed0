/**
 * The relay's guard as the runtime hands it to every request, without loading
 * the Vectra client at cold start: `var-port.ts` (and with it the HTTP stack,
 * undici) is imported on the guard's first question, which only block paths ask.
 * Whether the request has a guard at all is decided here, synchronously, from
 * the claims, exactly as `relayGuard` decides it.
 */
import type { RequestContext } from '../../kernel/context.js';
import type { IpGuard } from '../../kernel/guard.js';
import { parseVectraConfig } from './config.js';

export function lazyRelayGuard(ctx: RequestContext): IpGuard | undefined {
  if (!parseVectraConfig(ctx.claims, ctx.config)) return undefined;
  let guard: Promise<IpGuard> | undefined;
  const real = (): Promise<IpGuard> => {
    guard ??= import('./var-port.js').then((m) => {
      const g = m.relayGuard(ctx);
      if (!g) throw new Error('Vectra guard unavailable');
      return g;
    });
    return guard;
  };
  return {
    isNoBlockHost: async (id) => (await real()).isNoBlockHost(id),
    isNoBlockAccount: async (id) => (await real()).isNoBlockAccount(id),
    protectedHosts: async () => (await real()).protectedHosts(),
    holders: async (clientName, id, ip, except) => (await real()).holders(clientName, id, ip, except),
  };
}
