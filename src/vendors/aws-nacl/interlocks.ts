/**
 * Interlocks between direct NACL actions and Vectra's VAR state, active when the
 * token also configures Vectra (both load the Vectra client on first use only):
 *
 * - no-block: an address of a host in the no-block group is never denied;
 * - ownership: a deny recorded as a VAR block (`VAR ID:AWS NACL Client:<nacl>/<cidr>`
 *   on a host or detection) is released by unblocking that object, not by a
 *   bare "Remove deny", which would leave Vectra saying "blocked".
 *
 * Both fail closed: if Vectra cannot be read, the caller neither denies nor removes.
 */

import { type Cidr, overlaps, parseCidr } from '../../kernel/cidr.js';
import type { RequestContext } from '../../kernel/context.js';
import type { ProtectedHost, RecordOwner } from '../../var/guard.js';

export type Guard = { hosts: ProtectedHost[]; error?: unknown };
/** One no-block lookup per request (an engine run blocks many objects with one context). */
const guards = new WeakMap<RequestContext, Promise<Guard>>();

/** The no-block interlock (`../var/guard.ts`), loaded only when Vectra is configured; errors fail closed. */
export function protectedHosts(ctx: RequestContext): Promise<Guard> {
  if (!ctx.claims.vectra_url) return Promise.resolve({ hosts: [] });
  let guard = guards.get(ctx);
  if (!guard) {
    guard = import('../../var/guard.js')
      .then((m) => m.noBlockHosts(ctx))
      .then(
        (hosts) => ({ hosts }),
        (error: unknown) => ({ hosts: [], error }),
      );
    guards.set(ctx, guard);
  }
  return guard;
}

export const covers = (c: Cidr, ip: string): boolean => {
  const host = parseCidr(ip);
  return host !== undefined && overlaps(c, host);
};

/** The Vectra records (VAR-tagged hosts and detections, the engine's static list) relying on a deny. */
export async function varRecordOwners(
  ctx: RequestContext,
  naclId: string,
  cidr: Cidr,
): Promise<RecordOwner[]> {
  if (!ctx.claims.vectra_url) return [];
  const { varRecordedOwners } = await import('../../var/guard.js');
  return varRecordedOwners(ctx, `VAR ID:AWS NACL Client:${naclId}/${cidr.text}`, cidr.text);
}
