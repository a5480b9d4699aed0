/**
 * `/respond/trigger` for the Vectra actions: re-read the object (its tags are
 * the state), check the request against it (client enabled and allowed,
 * no-block group), then act idempotently and record the result as VAR does.
 */

import type { RequestContext } from '../../kernel/context.js';
import { invalidArgument, RelayError } from '../../kernel/errors.js';
import { withKeyLock } from '../../kernel/keyed-lock.js';
import type { TriggerRequest, TriggerResult } from '../../kernel/vendor.js';
import { Applier, eligibleClients } from '../../var/applier.js';
import { type BlockClientId, createBlockClient, declarationOf } from '../block-clients.js';
import { VectraClient } from '../vectra/client.js';
import { describeLockdown, lockdowns } from '../vectra/lockdown.js';
import { relayGuard, relayPort } from '../vectra/var-port.js';
import { ACTION_IDS, isActionId } from './actions.js';
import type { VarConfig } from './config.js';

function objectId(params: Readonly<Record<string, string>>, key: string): number {
  const raw = params[key];
  if (raw === undefined || !/^\d{1,12}$/.test(raw)) {
    throw invalidArgument(`Invalid JSON payload received. ${key}: Missing or not a Vectra id.`);
  }
  return Number(raw);
}

export async function runTrigger(
  cfg: VarConfig,
  req: TriggerRequest,
  ctx: RequestContext,
): Promise<TriggerResult> {
  if (!isActionId(req.actionId)) throw new RelayError('invalid argument', 'Unsupported action.');
  const { kind, verb } = ACTION_IDS[req.actionId];
  const id = objectId(req.params, kind === 'host' ? 'host_id' : 'account_id');
  const vectra = new VectraClient(cfg.vectra, ctx);

  return withKeyLock(`${cfg.vectra.url}|${kind}|${id}`, async () => {
    const o = kind === 'host' ? await vectra.getHost(id) : await vectra.getAccount(id);
    if (!o) throw new RelayError('not found', `The ${kind} ${id} no longer exists in Vectra Detect.`);
    const group = kind === 'host' ? cfg.vectra.noBlockHostGroup : cfg.vectra.noBlockAccountGroup;
    const guard = ctx.guard ?? relayGuard(ctx);
    const refuseNoBlock = async () => {
      if (guard && (await (o.kind === 'host' ? guard.isNoBlockHost(o.id) : guard.isNoBlockAccount(o.id)))) {
        throw invalidArgument(
          `The ${kind} ${o.name} is in the no-block group "${group}" and is never blocked.`,
        );
      }
    };

    // Vectra's own lockdown: a relay block would outlive it silently (objectActions).
    const refuseLockdown = async () => {
      const held = await lockdowns(vectra, o.kind).then(
        (l) => l.get(o.id),
        (err: unknown) => {
          ctx.log.warn('Vectra lockdown list unreadable; blocking without it', {
            kind,
            id,
            err: String(err),
          });
          return undefined;
        },
      );
      if (held) {
        throw invalidArgument(`${describeLockdown(held, o.name)} Lift it in Vectra before blocking here.`);
      }
    };

    const blockTag = kind === 'host' ? cfg.vectra.blockHostTag : cfg.vectra.blockAccountTag;
    if (verb === 'tag' || verb === 'untag') {
      if (verb === 'tag') {
        await refuseNoBlock();
        await refuseLockdown();
      }
      const has = o.allTags.includes(blockTag);
      if (has === (verb === 'tag')) return { elements: [blockTag], unchanged: true };
      await vectra.updateTags(kind, id, (tags) =>
        verb === 'tag' ? [...tags, blockTag] : tags.filter((t) => t !== blockTag),
      );
      return { elements: [blockTag] };
    }

    const clientId = req.params.client_id ?? '';
    if (!cfg.clients.includes(clientId as (typeof cfg.clients)[number])) {
      throw invalidArgument(
        `Block client ${clientId.slice(0, 40) || '(none)'} is not enabled for this module.`,
      );
    }
    const module = declarationOf(clientId as BlockClientId);
    if (!module.capabilities.includes(kind)) throw invalidArgument(`${module.name} cannot block a ${kind}.`);
    if (eligibleClients(o, [module]).length === 0) {
      throw invalidArgument(
        `The ${kind} ${o.name} is restricted to clients: ${o.clientRestrictions.join(', ')}.`,
      );
    }
    const client = createBlockClient(clientId as BlockClientId, ctx);
    if (verb === 'block') {
      await refuseNoBlock();
      // A pending block already under way is only checked, never refused.
      if ((o.pendingElements?.[client.name] ?? []).length === 0) await refuseLockdown();
    }
    const applier = new Applier({ port: relayPort(vectra), guard, source: 'relay', log: ctx.log });
    const result =
      verb === 'block'
        ? await applier.block(client, o, { holdTag: blockTag })
        : await applier.unblock(client, o, { holdTag: blockTag });
    return {
      elements: result.elements,
      client: client.name,
      unchanged: result.outcome === 'unchanged',
      ...(result.outcome === 'pending'
        ? {
            pending: `The block of ${kind} ${o.name} via ${client.name} is pending: ${(result.pending ?? [])
              .map((p) => p.what)
              .join('; ')}. Run "Check pending block" (or wait for the engine's next run) to confirm it.`,
          }
        : {}),
    };
  });
}
