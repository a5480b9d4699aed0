/**
 * The relay's guard and host directory as the runtime hands them to every request, without loading
 * the Vectra client at cold start: `var-port.ts` (and with it the HTTP stack,
 * undici) is imported on the guard's first question, which only block paths ask.
 * Whether the request has a guard at all is decided here, synchronously, from
 * the claims, exactly as `relayGuard` decides it.
 */
import type { RequestContext } from '../../kernel/context.js';
import type { IpGuard } from '../../kernel/guard.js';
import type { HostDirectory } from '../../kernel/hosts.js';
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

/** `relayHosts` (product vendors' reads of Vectra hosts), loaded on first use like the guard. */
export function lazyRelayHosts(ctx: RequestContext): HostDirectory | undefined {
  if (!parseVectraConfig(ctx.claims, ctx.config)) return undefined;
  let hosts: Promise<HostDirectory> | undefined;
  const real = (): Promise<HostDirectory> => {
    hosts ??= import('./var-port.js').then((m) => {
      const h = m.relayHosts(ctx);
      if (!h) throw new Error('Vectra hosts unavailable');
      return h;
    });
    return hosts;
  };
  return {
    find: async (o) => (await real()).find(o),
    get: async (id) => (await real()).get(id),
  };
}
