/**
 * VAR's operations for the `fortinet` client. Hosts go to the source group,
 * detections' external destinations and static IPs to the destination group,
 * on every configured firewall.
 *
 * Several firewalls: each (firewall, VDOM) is its own element. When some
 * firewalls take a block and others fail, the block answers the ones in
 * force and the failed ones as pending, with the reason naming the
 * firewall; `confirm` (or the next block) retries them, and gives up on a
 * firewall only for errors a retry cannot fix (credentials, permissions, a
 * missing group). An unblock releases exactly the elements it is given.
 */
import {
  type BlockAnswer,
  type BlockClient,
  type BlockResult,
  type ConfirmAnswer,
  defineBlockClient,
  type StaticElement,
} from '../../kernel/block-client.js';
import type { RequestContext } from '../../kernel/context.js';
import { type ErrorCode, RelayError } from '../../kernel/errors.js';
import type { BlockedElements } from '../../kernel/model.js';
import { Fleet, type Outcome, type Target } from './blocker.js';
import { CLIENT_NAME, type FortinetConfig, MODULE, type Side } from './config.js';
import { elementId, type HostIp, hostIp, parseElementId } from './ids.js';

export const CAPABILITIES = ['host', 'detection', 'static-ips', 'groom'] as const;

/** Failures a later call may get past; others end a pending element as failed. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  'service unavailable',
  'too many requests',
  'connection error',
  'internal error',
  'unknown',
]);

const failedOn = (outcomes: readonly Outcome[]): string =>
  [...new Set(outcomes.filter((o) => o.error).map((o) => o.firewall))].join(', ');

/** The first failure, saying how much was done and on which firewalls it failed. */
function combined(outcomes: readonly Outcome[]): RelayError {
  const failed = outcomes.filter((o) => o.error);
  const first = failed[0]?.error as RelayError;
  return new RelayError(
    first.code,
    `${first.message} (${outcomes.length - failed.length} of ${outcomes.length} FortiGate updates done; failed on ${failedOn(outcomes)}; run it again to complete)`,
    { cause: first },
  );
}

/** In force where it worked; pending (with the firewall's reason) where it did not; an error when nothing worked. */
function blockAnswer(outcomes: readonly Outcome[]): BlockResult {
  const ok = outcomes.filter((o) => !o.error).map((o) => o.id);
  if (ok.length === 0 && outcomes.length > 0) throw combined(outcomes);
  const pending = outcomes.flatMap((o) =>
    o.error
      ? [
          {
            id: o.id,
            what: `not yet in force on FortiGate ${o.firewall}: ${o.error.message} It is retried on the next call.`,
          },
        ]
      : [],
  );
  return pending.length ? ({ inForce: ok, pending } satisfies BlockAnswer) : ok;
}

/** Released ids; a partial release is fine (what is not released keeps its tag and is retried). */
function releasedIds(outcomes: readonly Outcome[], ctx: RequestContext): string[] {
  const ok = outcomes.filter((o) => !o.error).map((o) => o.id);
  if (ok.length === 0 && outcomes.some((o) => o.error)) throw combined(outcomes);
  for (const o of outcomes) {
    if (o.error)
      ctx.log.warn('FortiGate release failed', { id: o.id, code: o.error.code, detail: o.error.message });
  }
  return ok;
}

export function createFortinetClient(cfg: FortinetConfig, ctx: RequestContext): BlockClient {
  const fleet = new Fleet(cfg, ctx);

  const hosts = (inputs: readonly string[]): HostIp[] => {
    const out: HostIp[] = [];
    for (const raw of new Set(inputs)) {
      const h = hostIp(raw);
      if (h) out.push(h);
      else ctx.log.warn('FortiGate: not a single IP address, skipped', { input: raw.slice(0, 80) });
    }
    return out;
  };

  /** Our element ids on an object (blocked and pending) as targets on firewalls still configured. */
  const targetsOf = (o: {
    blockedElements: BlockedElements;
    pendingElements?: BlockedElements;
  }): Target[] => {
    const ids = [...(o.blockedElements?.[CLIENT_NAME] ?? []), ...(o.pendingElements?.[CLIENT_NAME] ?? [])];
    return idsToTargets(ids);
  };

  const idsToTargets = (ids: readonly string[]): Target[] =>
    [...new Set(ids)].flatMap((id) => {
      const ref = parseElementId(id);
      const fw = ref ? fleet.firewall(ref.firewall) : undefined;
      // Only firewalls this token configures may be touched, whatever a tag says.
      if (!ref || !fw) {
        ctx.log.warn('FortiGate element id skipped: not one of the configured firewalls', { id });
        return [];
      }
      return [{ fw, side: ref.side, host: ref.host }];
    });

  const block = async (side: Side, inputs: readonly string[]) =>
    blockAnswer(await fleet.block(fleet.everywhere(side, hosts(inputs))));

  const confirm = async (_target: unknown, pendingIds: readonly string[]): Promise<ConfirmAnswer> => {
    const targets = idsToTargets(pendingIds);
    const known = new Set(targets.map((t) => `${t.fw.key}/${t.side}/${t.host.ip}`));
    const gone = pendingIds.filter((id) => !known.has(id));
    const outcomes = await fleet.block(targets);
    return {
      inForce: outcomes.filter((o) => !o.error).map((o) => o.id),
      pending: outcomes.flatMap((o) =>
        o.error && RETRYABLE.has(o.error.code)
          ? [{ id: o.id, what: `not yet in force on FortiGate ${o.firewall}: ${o.error.message}` }]
          : [],
      ),
      failed: [
        ...outcomes.flatMap((o) =>
          o.error && !RETRYABLE.has(o.error.code) ? [{ id: o.id, reason: o.error.message }] : [],
        ),
        ...gone.map((id) => ({ id, reason: 'The firewall is no longer configured in this module.' })),
      ],
    };
  };

  const statics = (outcomes: readonly Outcome[], release: boolean): StaticElement[] => {
    const ok = outcomes.filter((o) => !o.error);
    if (ok.length === 0 && outcomes.some((o) => o.error)) throw combined(outcomes);
    for (const o of outcomes) {
      if (o.error)
        ctx.log.warn(`FortiGate static IP ${release ? 'release' : 'block'} failed`, {
          id: o.id,
          detail: o.error.message,
        });
    }
    return ok.map((o) => ({ ip: o.host.ip, id: o.id }));
  };

  return defineBlockClient(
    { module: MODULE, name: CLIENT_NAME, capabilities: CAPABILITIES },
    {
      blockHost: (host) => block('src', host.ip ? [host.ip] : []),
      unblockHost: async (host) => releasedIds(await fleet.release(targetsOf(host)), ctx),
      // VAR's re-grooming: a host whose IP changed has its old address released (it may be
      // someone else's now) and its new one blocked.
      groomHost: async (host) => {
        const current = host.ip ? hostIp(host.ip)?.ip : undefined;
        const mine = host.blockedElements[CLIENT_NAME] ?? [];
        const stale = mine.some((id) => parseElementId(id)?.host.ip !== current);
        return { unblock: stale, block: stale && current !== undefined };
      },
      blockDetection: (d) => block('dst', d.dstIps),
      unblockDetection: async (d) => releasedIds(await fleet.release(targetsOf(d)), ctx),
      blockStaticDstIps: async (ips) =>
        statics(await fleet.block(fleet.everywhere('dst', hosts(ips.dstIps))), false),
      unblockStaticDstIps: async (ips) => {
        // The core guards objects' unblocks; the static list's are ours to guard: a destination
        // member a detection still holds is kept, and answered released for the list only.
        const targets = fleet.everywhere('dst', hosts(ips.dstIps));
        const kept: Outcome[] = [];
        const go: Target[] = [];
        for (const t of targets) {
          const id = elementId(t.fw.key, 'dst', t.host);
          const owners = ctx.guard
            ? await ctx.guard.holders(CLIENT_NAME, id, t.host.ip, { kind: 'static-ips', id: null })
            : [];
          if (owners.length) {
            ctx.log.info('FortiGate member kept: still relied on', { id, by: owners.map((o) => o.label) });
            kept.push({ id, firewall: t.fw.key, host: t.host });
          } else go.push(t);
        }
        return statics([...kept, ...(await fleet.release(go))], true);
      },
      confirm,
      ipOf: (id) => parseElementId(id)?.host.ip,
      health: async () => {
        const results = await Promise.allSettled(
          cfg.firewalls.map(async (fw) => {
            const names = await fleet.api(fw).groupNames(4);
            const missing = [cfg.groups.src[4], cfg.groups.dst[4]].filter((g) => !names.has(g));
            if (missing.length) {
              throw new RelayError(
                'health check failed',
                `FortiGate ${fw.key} has no address group ${missing.map((g) => `"${g}"`).join(', ')} in VDOM ${fw.vdom}.`,
              );
            }
          }),
        );
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      },
    },
  );
}
