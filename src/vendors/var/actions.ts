/**
 * `/respond/observables` through Vectra: for each host (ip, ipv6, hostname,
 * mac_address) or account (user) the observable resolves to, the actions the
 * enabled block clients can really take now — "Block …" or "Unblock …"
 * depending on the object's `VAR ID` tags — plus tagging for VAR's automated
 * loop. `client:<module>` tags restrict the clients; objects in the no-block
 * group, and objects Vectra itself holds in lockdown, get no block action, and
 * a warning says why.
 */

import pLimit from 'p-limit';
import { appendAll } from '../../kernel/arrays.js';
import type { BlockClientDeclaration } from '../../kernel/block-client.js';
import type { RequestContext } from '../../kernel/context.js';
import type { RespondAction } from '../../kernel/ctim.js';
import { type WireError, warning } from '../../kernel/errors.js';
import type { VectraAccount, VectraHost } from '../../kernel/model.js';
import type { Observable } from '../../kernel/observables.js';
import type { Outcome } from '../../kernel/vendor.js';
import { eligibleClients } from '../../var/applier.js';
import { blockClients } from '../block-clients.js';
import { ipValues } from '../vectra/batch.js';
import { VectraClient } from '../vectra/client.js';
import { describeLockdown, type Lockdown, lockdowns } from '../vectra/lockdown.js';
import { relayGuard } from '../vectra/var-port.js';
import { HOST_TYPES, type VarConfig } from './config.js';

/** Action ids: `vectra-<verb>-<kind>`; the object and client travel in query-params. */
export const ACTION_IDS = {
  'vectra-block-host': { kind: 'host', verb: 'block' },
  'vectra-unblock-host': { kind: 'host', verb: 'unblock' },
  'vectra-tag-host': { kind: 'host', verb: 'tag' },
  'vectra-untag-host': { kind: 'host', verb: 'untag' },
  'vectra-block-account': { kind: 'account', verb: 'block' },
  'vectra-unblock-account': { kind: 'account', verb: 'unblock' },
  'vectra-tag-account': { kind: 'account', verb: 'tag' },
  'vectra-untag-account': { kind: 'account', verb: 'untag' },
} as const satisfies Record<
  string,
  { kind: 'host' | 'account'; verb: 'block' | 'unblock' | 'tag' | 'untag' }
>;

export type ActionId = keyof typeof ACTION_IDS;

/** Hosts or accounts examined per observable. */
const LOOKUP_ITEMS = 20;
export const isActionId = (id: string): id is ActionId => Object.hasOwn(ACTION_IDS, id);

type Target = VectraHost | VectraAccount;
type ClientInfo = Pick<BlockClientDeclaration, 'module' | 'name' | 'capabilities'>;

function action(
  id: ActionId,
  title: string,
  description: string,
  o: Observable,
  params: Record<string, string>,
): RespondAction {
  return {
    id,
    title,
    description,
    categories: [
      'Vectra Detect',
      ACTION_IDS[id].verb === 'block' || ACTION_IDS[id].verb === 'tag' ? 'Block' : 'Unblock',
    ],
    'query-params': { observable_type: o.type, observable_value: o.value, ...params },
  };
}

/**
 * The actions for one host or account, given whether it sits in the no-block
 * group and whether Vectra holds it in lockdown: a relay block on top of
 * Vectra's lockdown would outlive it silently (Vectra lifts its lockdown,
 * the relay's block stays), so none is offered while one holds.
 */
export function objectActions(
  target: Target,
  observable: Observable,
  cfg: VarConfig,
  noBlock: boolean,
  lockdown?: Lockdown,
): { actions: RespondAction[]; warnings: WireError[] } {
  const blockable = !noBlock && lockdown === undefined;
  const kind = target.kind;
  const idParam: Record<string, string> = { [kind === 'host' ? 'host_id' : 'account_id']: String(target.id) };
  const clients = eligibleClients(
    target,
    cfg.clients.map((id) => blockClients[id] as ClientInfo),
  );
  const actions: RespondAction[] = [];
  for (const client of clients) {
    const params = { ...idParam, client_id: client.module };
    if ((target.pendingElements?.[client.name] ?? []).length > 0) {
      // A block under way is never shown as done: check it, or cancel it.
      actions.push(
        action(
          `vectra-block-${kind}`,
          `Check pending block of ${kind} ${target.name} via ${client.name}`,
          `Ask ${client.name} whether the block is in force yet, and record it when it is`,
          observable,
          params,
        ),
        action(
          `vectra-unblock-${kind}`,
          `Cancel pending block of ${kind} ${target.name} via ${client.name}`,
          `Cancel what ${client.name} started for this ${kind} and update its VAR tags`,
          observable,
          params,
        ),
      );
    } else if ((target.blockedElements[client.name] ?? []).length > 0) {
      actions.push(
        action(
          `vectra-unblock-${kind}`,
          `Unblock ${kind} ${target.name} via ${client.name}`,
          `Undo what ${client.name} blocked for this ${kind} and update its VAR tags`,
          observable,
          params,
        ),
      );
    } else if (blockable) {
      actions.push(
        action(
          `vectra-block-${kind}`,
          `Block ${kind} ${target.name} via ${client.name}`,
          `Block this ${kind} with ${client.name} and record it in VAR tags`,
          observable,
          params,
        ),
      );
    }
  }
  const tag = kind === 'host' ? cfg.vectra.blockHostTag : cfg.vectra.blockAccountTag;
  if (target.allTags.includes(tag)) {
    actions.push(
      action(
        `vectra-untag-${kind}`,
        `Remove automated-blocking tag from ${kind} ${target.name}`,
        `Remove the "${tag}" tag`,
        observable,
        idParam,
      ),
    );
  } else if (blockable) {
    actions.push(
      action(
        `vectra-tag-${kind}`,
        `Tag ${kind} ${target.name} for automated blocking`,
        `Add the "${tag}" tag that the automated response loop blocks on`,
        observable,
        idParam,
      ),
    );
  }
  const group = kind === 'host' ? cfg.vectra.noBlockHostGroup : cfg.vectra.noBlockAccountGroup;
  const warnings = noBlock
    ? [
        warning(
          'no-block-group',
          `The ${kind} ${target.name} is in the no-block group "${group}": no block action is offered.`,
        ),
      ]
    : [];
  if (lockdown) {
    warnings.push(
      warning(
        'vectra-lockdown',
        `${describeLockdown(lockdown, target.name)} No relay block is offered while it holds; lift it in Vectra first.`,
      ),
    );
  }
  return { actions, warnings };
}

export async function offerActions(
  cfg: VarConfig,
  observables: readonly Observable[],
  ctx: RequestContext,
): Promise<Outcome<RespondAction[]>> {
  const vectra = new VectraClient(cfg.vectra, ctx);
  // v2.5: the host lookups of every ip/ipv6 in one search (vectra/batch.ts).
  vectra.ips.prefetch(ipValues(observables), { hosts: LOOKUP_ITEMS });
  const guard = ctx.guard ?? relayGuard(ctx);
  const limit = pLimit(ctx.config.upstreamConcurrency);
  const data: RespondAction[] = [];
  const errors: unknown[] = [];
  // Unreadable lockdowns do not hide the block actions: the warning says the state is unknown.
  const lockdownOf = async (t: Target): Promise<Lockdown | undefined> => {
    try {
      return (await lockdowns(vectra, t.kind)).get(t.id);
    } catch (err) {
      errors.push(
        warning(
          'vectra-lockdown-unknown',
          `Vectra's ${t.kind} lockdown list could not be read (${err instanceof Error ? err.message : 'error'}); a block may overlap a Vectra lockdown.`,
        ),
      );
      return undefined;
    }
  };
  await Promise.all(
    observables.map((o) =>
      limit(async () => {
        try {
          const targets: Target[] = HOST_TYPES.has(o.type)
            ? await vectra.findHosts(o, { maxItems: LOOKUP_ITEMS })
            : await vectra.findAccounts(o.value, { maxItems: LOOKUP_ITEMS });
          for (const t of targets) {
            const noBlock = guard
              ? await (t.kind === 'host' ? guard.isNoBlockHost(t.id) : guard.isNoBlockAccount(t.id))
              : false;
            const { actions, warnings } = objectActions(t, o, cfg, noBlock, await lockdownOf(t));
            appendAll(data, actions);
            appendAll(errors, warnings);
          }
        } catch (err) {
          errors.push(err);
        }
      }),
    ),
  );
  return { data, errors };
}
