/**
 * VAR's operations on Defender for Endpoint: a host block isolates the one
 * machine matching the Vectra host; isolation is a machine action that runs
 * when the sensor next checks in (an offline machine stays pending for
 * hours), so a block answers pending `<machineId>/<actionId>` until the
 * action reads `Succeeded`; `confirm` then answers `<machineId>` in force.
 * Unblock releases our isolation, or cancels it while it is still pending.
 * Isolations requested by anyone else are never changed.
 */
import {
  type BlockAnswer,
  type BlockClient,
  type ConfirmAnswer,
  defineBlockClient,
  type PendingElement,
} from '../../kernel/block-client.js';
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import { withKeyLock } from '../../kernel/keyed-lock.js';
import type { VectraHost } from '../../kernel/model.js';
import { exactlyOne, hostIp, hostNames, sameName } from '../edr/match.js';
import { ActionInProgress, DefenderApi, type Machine, type MachineAction } from './client.js';
import { CLIENT_NAME, type DefenderConfig, MODULE, PRODUCT } from './config.js';
import { blockIps, indicatorElement, ipOfElement, unblockIndicatorIds } from './indicators.js';
import { comment, isOurs, isolationRefusal, isolationState } from './isolation.js';

export const CAPABILITIES = ['host', 'detection', 'static-ips'] as const;

const pendingId = (machineId: string, actionId: string) => `${machineId}/${actionId}`;
const splitId = (id: string) => {
  const [machineId = '', actionId] = id.split('/');
  return { machineId, actionId };
};
const pendingOf = (m: string, a: MachineAction): PendingElement => ({
  id: pendingId(m, a.id),
  what: `${PRODUCT} isolation action ${a.id} (${a.status}); it completes when the machine checks in`,
});

const describe = (m: Machine) =>
  `${m.computerDnsName ?? '?'} (id ${m.id}, ${m.healthStatus ?? 'unknown health'}, last seen ${m.lastSeen ?? 'never'})`;

/** The one machine matching the host's current IP and name. */
export async function findMachine(api: DefenderApi, host: VectraHost): Promise<Machine> {
  const ip = hostIp(host, PRODUCT);
  const names = hostNames(host);
  const byIp = await api.machinesByIp(ip);
  const matches = byIp.filter((m) => m.lastIpAddress === ip && sameName(m.computerDnsName, names));
  return exactlyOne(PRODUCT, host, matches, {
    tried: `lastIpAddress ${ip} and name ${names.join(' or ')}; ${byIp.length} machine(s) with that IP`,
    describe,
    live: (m) => m.healthStatus !== 'Inactive',
  });
}

const foreign = (host: VectraHost, m: Machine, state: string) =>
  new RelayError(
    'state conflict',
    `${PRODUCT} machine ${m.computerDnsName ?? m.id} of Vectra host ${host.name} is ${state} by an action the relay did not request; the relay leaves it as it is.`,
  );

async function isolate(
  api: DefenderApi,
  cfg: DefenderConfig,
  host: VectraHost,
  ctx: RequestContext,
): Promise<BlockAnswer> {
  const m = await findMachine(api, host);
  const refusal = isolationRefusal(m, cfg.isolationType);
  if (refusal) {
    throw new RelayError(
      'invalid argument',
      `${PRODUCT} cannot isolate ${m.computerDnsName ?? m.id}: ${refusal}.`,
    );
  }
  // One machine at a time in this process; across processes Defender's own
  // "already in progress" answer is read back as our pending action.
  return withKeyLock(`${MODULE}:${m.id}`, async () => {
    const answer = (state: ReturnType<typeof isolationState>): BlockAnswer | undefined => {
      if (state.kind === 'isolated' && isOurs(state.action)) return { inForce: [m.id], pending: [] };
      if (state.kind === 'isolating' && isOurs(state.action))
        return { inForce: [], pending: [pendingOf(m.id, state.action)] };
      if (state.kind === 'isolated' || state.kind === 'isolating') throw foreign(host, m, state.kind);
      if (state.kind === 'releasing') {
        throw new RelayError(
          'state conflict',
          `${PRODUCT} is still releasing ${m.computerDnsName ?? m.id} from isolation (action ${state.action.id}); try again when it completes.`,
        );
      }
      return undefined;
    };
    const before = answer(isolationState(await api.actionsOf(m.id)));
    if (before) return before;
    let action: MachineAction;
    try {
      action = await api.machineAction(m.id, 'isolate', {
        Comment: comment('isolate', host, ctx),
        IsolationType: cfg.isolationType,
      });
    } catch (err) {
      if (!(err instanceof ActionInProgress)) throw err;
      const after = answer(isolationState(await api.actionsOf(m.id)));
      if (after) return after;
      throw new RelayError(
        'state conflict',
        `${PRODUCT} reports another action in progress on ${m.computerDnsName ?? m.id}.`,
      );
    }
    return action.status === 'Succeeded'
      ? { inForce: [m.id], pending: [] }
      : { inForce: [], pending: [pendingOf(m.id, action)] };
  });
}

/** Releases (or cancels) our isolation of one machine; anything not ours is left alone. */
async function release(
  api: DefenderApi,
  host: VectraHost,
  machineId: string,
  ctx: RequestContext,
): Promise<void> {
  await withKeyLock(`${MODULE}:${machineId}`, async () => {
    for (let round = 0; round < 2; round++) {
      const state = isolationState(await api.actionsOf(machineId));
      if (state.kind === 'released' || state.kind === 'releasing') return;
      if (!isOurs(state.action)) {
        ctx.log.warn('defender isolation not ours, left in place', { machineId, actionId: state.action.id });
        return;
      }
      try {
        if (state.kind === 'isolating') await api.cancel(state.action.id, comment('cancel', host, ctx));
        else await api.machineAction(machineId, 'unisolate', { Comment: comment('release', host, ctx) });
        return;
      } catch (err) {
        // The action finished between our read and the cancel, or a release is
        // already running: read the state again once.
        const raced =
          err instanceof ActionInProgress || (err instanceof RelayError && err.code === 'invalid argument');
        if (!raced || round === 1) throw err;
      }
    }
  });
}

async function confirm(api: DefenderApi, pendingIds: readonly string[]): Promise<ConfirmAnswer> {
  const inForce: string[] = [];
  const pending: PendingElement[] = [];
  const failed: { id: string; reason: string }[] = [];
  for (const id of pendingIds) {
    const { machineId, actionId } = splitId(id);
    const action = actionId ? await api.action(actionId) : null;
    if (!action || action.machineId !== machineId) {
      failed.push({
        id,
        reason: `${PRODUCT} has no isolation action ${actionId ?? ''} for machine ${machineId}`,
      });
    } else if (action.status === 'Succeeded') inForce.push(machineId);
    else if (action.status === 'Pending' || action.status === 'InProgress')
      pending.push(pendingOf(machineId, action));
    else failed.push({ id, reason: `${PRODUCT} isolation action ${action.id} ended ${action.status}` });
  }
  return { inForce, pending, failed };
}

export function createDefenderClient(cfg: DefenderConfig, ctx: RequestContext): BlockClient {
  const api = new DefenderApi(cfg, ctx);
  return defineBlockClient(
    { module: MODULE, name: CLIENT_NAME, capabilities: CAPABILITIES },
    {
      blockHost: (host) => isolate(api, cfg, host, ctx),
      unblockHost: async (host) => {
        const ids = [
          ...(host.blockedElements[CLIENT_NAME] ?? []),
          ...(host.pendingElements[CLIENT_NAME] ?? []),
        ];
        const machines = [...new Set(ids.map((id) => splitId(id).machineId).filter(Boolean))];
        for (const m of machines) await release(api, host, m, ctx);
        return ids;
      },
      confirm: (_target, pendingIds) => confirm(api, pendingIds),
      // Detections and static lists: IP indicators (Block) on single external addresses.
      blockDetection: async (d) => (await blockIps(api, d.dstIps, ctx)).map((e) => e.id),
      unblockDetection: (d) => unblockIndicatorIds(api, d.blockedElements[CLIENT_NAME] ?? []),
      blockStaticDstIps: (ips) => blockIps(api, ips.dstIps, ctx),
      unblockStaticDstIps: async (ips) => {
        const ids = ips.dstIps.map(indicatorElement);
        return (await unblockIndicatorIds(api, ids)).map((id) => ({ ip: ipOfElement(id) ?? id, id }));
      },
      ipOf: ipOfElement,
      health: () => api.health(),
    },
  );
}
