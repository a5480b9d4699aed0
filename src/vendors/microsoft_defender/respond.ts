/**
 * The Defender relay's respond actions, as this block client's `vendor`:
 *
 * - on a host observable (`ip`, `ipv6`, `hostname`) that resolves to Vectra
 *   hosts, for each host whose Defender machine matches exactly (IP and name,
 *   as for isolation): run antivirus scan, restrict app execution or remove
 *   the restriction, collect investigation package;
 * - on `ip`, `ipv6`, `domain`, `url`, `sha256`, `sha1`: indicator block / allow
 *   / remove (`indicators.ts`).
 *
 * Enabled when `block_clients` lists `microsoft_defender`. Host actions need
 * the Vectra fields too (the host is found in Vectra first).
 */
import type { RelayConfig } from '../../kernel/config.js';
import type { Claims, RequestContext } from '../../kernel/context.js';
import type { RespondAction } from '../../kernel/ctim.js';
import { RelayError, warning } from '../../kernel/errors.js';
import { parseFields } from '../../kernel/fields.js';
import type { VectraHost } from '../../kernel/model.js';
import type { Observable } from '../../kernel/observables.js';
import type { Outcome, TriggerRequest, TriggerResult, VendorModule } from '../../kernel/vendor.js';
import { findMachine } from './actions.js';
import { ActionInProgress, DefenderApi, type Machine } from './client.js';
import {
  CLIENT_NAME,
  DEFENDER_FIELDS,
  type DefenderConfig,
  defenderConfigFrom,
  MODULE,
  PRODUCT,
} from './config.js';
import {
  INDICATOR_TYPES,
  indicatorRefusal,
  indicatorsOf,
  removeIndicator,
  setIndicator,
} from './indicators.js';
import { COMMENT_PREFIX, who } from './isolation.js';

export interface DefenderVendorConfig {
  readonly defender: DefenderConfig;
}

const HOST_TYPES = new Set(['ip', 'ipv6', 'hostname']);
const P = `${MODULE}-`;

/** Machine actions: the API verb, the machine action type, and words. */
interface MachineActionSpec {
  readonly verb: string;
  readonly type: string;
  readonly title: string;
  readonly body: Readonly<Record<string, string>>;
}
const MACHINE_ACTIONS: Readonly<Record<string, MachineActionSpec>> = {
  [`${P}scan`]: {
    verb: 'runAntiVirusScan',
    type: 'RunAntiVirusScan',
    title: 'Run antivirus scan on',
    body: { ScanType: 'Quick' },
  },
  [`${P}restrict`]: {
    verb: 'restrictCodeExecution',
    type: 'RestrictCodeExecution',
    title: 'Restrict app execution on',
    body: {},
  },
  [`${P}unrestrict`]: {
    verb: 'unrestrictCodeExecution',
    type: 'UnrestrictCodeExecution',
    title: 'Remove app execution restriction on',
    body: {},
  },
  [`${P}collect`]: {
    verb: 'collectInvestigationPackage',
    type: 'CollectInvestigationPackage',
    title: 'Collect investigation package from',
    body: {},
  },
};
const INDICATOR_ACTIONS = {
  [`${P}indicator-block`]: 'block',
  [`${P}indicator-allow`]: 'allow',
  [`${P}indicator-remove`]: 'remove',
} as const;

const act = (
  id: string,
  title: string,
  description: string,
  o: Observable,
  params: Record<string, string> = {},
): RespondAction => ({
  id,
  title,
  description,
  categories: [PRODUCT, id.includes('indicator') ? 'Indicator' : 'Machine action'],
  'query-params': { observable_type: o.type, observable_value: o.value, ...params },
});

const machineName = (m: Machine) => m.computerDnsName ?? m.id;

/** Is app execution restricted now (or being restricted)? From the newest Restrict/Unrestrict action. */
async function restricted(api: DefenderApi, m: Machine): Promise<boolean> {
  const last = (await api.actionsOf(m.id)).find(
    (a) =>
      (a.type === 'RestrictCodeExecution' || a.type === 'UnrestrictCodeExecution') &&
      ['Pending', 'InProgress', 'Succeeded'].includes(a.status),
  );
  return last?.type === 'RestrictCodeExecution';
}

async function hostActions(api: DefenderApi, host: VectraHost, o: Observable): Promise<RespondAction[]> {
  const m = await findMachine(api, host);
  const params = { host_id: String(host.id), machine_id: m.id };
  const name = `${machineName(m)} (Vectra host ${host.name})`;
  const restrict = (await restricted(api, m)) ? `${P}unrestrict` : `${P}restrict`;
  return [`${P}scan`, restrict, `${P}collect`].map((id) => {
    const a = MACHINE_ACTIONS[id] as MachineActionSpec;
    return act(
      id,
      `${a.title} ${name}`,
      `${a.title} the Microsoft Defender machine ${machineName(m)}`,
      o,
      params,
    );
  });
}

async function indicatorActions(
  api: DefenderApi,
  o: Observable,
): Promise<{ actions: RespondAction[]; warn?: string }> {
  if (indicatorRefusal(o)) return { actions: [] };
  const { ours, foreign } = await indicatorsOf(api, o);
  if (foreign.length > 0) {
    return {
      actions: [],
      warn: `${PRODUCT} already has an indicator for ${o.value} that the relay did not create: no indicator action is offered.`,
    };
  }
  const v = o.value;
  const block = act(
    `${P}indicator-block`,
    `Block ${v} with a Microsoft Defender indicator`,
    `Add (or switch to) a Block indicator for ${v}`,
    o,
  );
  const allow = act(
    `${P}indicator-allow`,
    `Allow ${v} with a Microsoft Defender indicator`,
    `Add (or switch to) an Allowed indicator for ${v}`,
    o,
  );
  const remove = act(
    `${P}indicator-remove`,
    `Remove the Microsoft Defender indicator for ${v}`,
    'Remove the indicator the relay created',
    o,
  );
  if (!ours) return { actions: [block, allow] };
  return { actions: ours.action === 'Allowed' ? [block, remove] : [allow, remove] };
}

async function respond(
  cfg: DefenderVendorConfig,
  observables: readonly Observable[],
  ctx: RequestContext,
): Promise<Outcome<RespondAction[]>> {
  const api = new DefenderApi(cfg.defender, ctx);
  const vectra = ctx.hosts;
  const data: RespondAction[] = [];
  const errors: unknown[] = [];
  // One observable at a time: Defender allows 100 calls per minute.
  for (const o of observables) {
    try {
      if (vectra && HOST_TYPES.has(o.type)) {
        for (const host of await vectra.find(o)) {
          try {
            data.push(...(await hostActions(api, host, o)));
          } catch (err) {
            // No machine for this host is not news; several is worth a word.
            if (err instanceof RelayError && err.code === 'state conflict')
              errors.push(warning('defender-match', err.message));
            else if (!(err instanceof RelayError && err.code === 'not found')) throw err;
          }
        }
      }
      if (INDICATOR_TYPES[o.type]) {
        const { actions, warn } = await indicatorActions(api, o);
        data.push(...actions);
        if (warn) errors.push(warning('defender-indicator', warn));
      }
    } catch (err) {
      // Offers are optional extras: a spent Defender budget must not fail the whole respond
      // answer (other vendors' actions still stand); the analyst is told why these are missing.
      if (err instanceof RelayError && err.code === 'too many requests') {
        errors.push(warning('defender-rate-limit', err.message));
        break;
      }
      errors.push(err);
    }
  }
  return { data, errors };
}

async function runMachineAction(
  cfg: DefenderVendorConfig,
  req: TriggerRequest,
  ctx: RequestContext,
): Promise<TriggerResult> {
  const spec = MACHINE_ACTIONS[req.actionId];
  if (!spec) throw new RelayError('invalid argument', `Unsupported action ${req.actionId.slice(0, 60)}.`);
  if (!ctx.hosts)
    throw new RelayError('invalid argument', `${PRODUCT} host actions need the Vectra fields in the token.`);
  const hostId = Number(req.params.host_id);
  if (!Number.isSafeInteger(hostId) || hostId <= 0)
    throw new RelayError('invalid argument', 'host_id is missing or invalid.');
  const host = await ctx.hosts.get(hostId);
  if (!host) throw new RelayError('not found', `Vectra host ${hostId} no longer exists.`);
  const api = new DefenderApi(cfg.defender, ctx);
  const m = await findMachine(api, host);
  if (req.params.machine_id && req.params.machine_id !== m.id) {
    throw new RelayError(
      'state conflict',
      `The ${PRODUCT} machine matching Vectra host ${host.name} changed; ask for the actions again.`,
    );
  }
  if (spec.type === 'RestrictCodeExecution' || spec.type === 'UnrestrictCodeExecution') {
    if ((await restricted(api, m)) === (spec.type === 'RestrictCodeExecution'))
      return { elements: [m.id], client: CLIENT_NAME, unchanged: true };
  }
  const comment = `${COMMENT_PREFIX}${spec.verb}: Vectra host ${host.name} (id ${host.id}, threat ${host.threat}, certainty ${host.certainty}), requested by ${who(ctx)}`;
  try {
    const a = await api.machineAction(m.id, spec.verb, { Comment: comment.slice(0, 1000), ...spec.body });
    return { elements: [`${m.id}/${a.id}`], client: CLIENT_NAME };
  } catch (err) {
    if (err instanceof ActionInProgress) return { elements: [m.id], client: CLIENT_NAME, unchanged: true };
    throw err;
  }
}

async function trigger(
  cfg: DefenderVendorConfig,
  req: TriggerRequest,
  ctx: RequestContext,
): Promise<TriggerResult> {
  const verb = INDICATOR_ACTIONS[req.actionId as keyof typeof INDICATOR_ACTIONS];
  if (!verb) return runMachineAction(cfg, req, ctx);
  const api = new DefenderApi(cfg.defender, ctx);
  if (!INDICATOR_TYPES[req.observable.type]) {
    throw new RelayError('unsupported type', `${PRODUCT} takes no indicator of type ${req.observable.type}.`);
  }
  if (verb === 'remove') {
    const { ids, unchanged } = await removeIndicator(api, req.observable);
    return { elements: ids, client: CLIENT_NAME, unchanged };
  }
  const { id, unchanged } = await setIndicator(api, req.observable, verb, ctx);
  return { elements: [id], client: CLIENT_NAME, unchanged };
}

export const microsoftDefenderVendor: VendorModule<DefenderVendorConfig> = {
  id: MODULE,
  title: PRODUCT,
  supportedTypes: new Set([...HOST_TYPES, ...Object.keys(INDICATOR_TYPES)]),
  configure: (claims: Claims, config: RelayConfig) => {
    // `block_clients` lists this module (the registry validates the list itself).
    const listed = (claims.block_clients ?? '').split(',').map((c) => c.trim().toLowerCase());
    if (!listed.includes(MODULE)) return undefined;
    const defender = defenderConfigFrom(parseFields(DEFENDER_FIELDS, claims), config, 'jwt');
    return { defender };
  },
  health: (cfg, ctx) => new DefenderApi(cfg.defender, ctx).health(),
  respond,
  ownsAction: (id) => id.startsWith(P),
  trigger,
};
