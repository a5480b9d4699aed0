/**
 * FMC's legacy block (opt-in, `cisco_fmc_mode=legacy`, for FMCs without
 * dynamic objects): our `Host` objects `vectra-relay-<address>` in the
 * customer's network group, then a deployment to the listed devices. A
 * deployment pushes every pending change on those devices, and it runs for
 * minutes, so a block answers *pending* (`<object>@<task id>`) and `confirm`
 * reads the deployment task. The group is read-modify-written under an
 * in-process lock; `confirm` re-checks membership, so a lost update from
 * another process ends as "failed", never as a false "in force".
 */
import type { BlockAnswer, ConfirmAnswer } from '../../kernel/block-client.js';
import { RelayError } from '../../kernel/errors.js';
import { withKeyLock } from '../../kernel/keyed-lock.js';
import { type FmcApi, OUR_DESCRIPTION } from './client.js';
import { FMC_PRODUCT, type FmcConfig, type FmcLegacy } from './config.js';

const PREFIX = 'vectra-relay-';
/** Our member taking the last place of a group an unblock would empty (RFC 5737 TEST-NET-1). */
export const PLACEHOLDER = { name: `${PREFIX}placeholder`, value: '192.0.2.1' } as const;

/** FMC object names refuse colons: IPv6 `:` become `_`. */
export const hostName = (ip: string): string => `${PREFIX}${ip.replaceAll(':', '_')}`;
/** `vectra-relay-10.0.0.1` or `vectra-relay-10.0.0.1@<task>` → the object name. */
export const baseName = (id: string): string => id.split('@')[0] as string;
const taskOf = (id: string): string | undefined => id.split('@')[1];

interface Ref {
  readonly id: string;
  readonly name?: string;
  readonly type: string;
}
interface NetworkGroup {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly objects?: Ref[];
  readonly literals?: { type: string; value: string }[];
  readonly description?: string;
  readonly overridable?: boolean;
}
interface Host {
  readonly id: string;
  readonly name: string;
  readonly value?: string;
  readonly description?: string;
}

const base = '/api/fmc_config/v1/domain';

export function createLegacy(cfg: FmcConfig, legacy: FmcLegacy, api: FmcApi) {
  const json = <T>(text: string): T => api.json<T>(text);
  const lock = <T>(fn: () => Promise<T>) =>
    withKeyLock(`cisco_fmc|${cfg.url}|${cfg.domain ?? ''}|${legacy.group}`, fn);

  const group = async (): Promise<NetworkGroup> => {
    for (let offset = 0; offset < 100_000; offset += 1000) {
      const res = await api.call(
        'GET',
        (d) => `${base}/${d}/object/networkgroups?expanded=true&offset=${offset}&limit=1000`,
      );
      if (res.status !== 200) throw api.fail(res, 'list network groups');
      const page = json<{ items?: NetworkGroup[]; paging?: { count?: number } }>(res.text);
      const hit = page.items?.find((g) => g.name === legacy.group);
      if (hit) return hit;
      if ((page.items?.length ?? 0) < 1000 || offset + 1000 >= (page.paging?.count ?? 0)) break;
    }
    throw new RelayError(
      'not found',
      `${FMC_PRODUCT} has no network group ${legacy.group}; create it and use it in your block rule.`,
    );
  };

  /** Our host object for `name`, created when absent; someone else's object under our name is a conflict. */
  const host = async (name: string, value: string): Promise<Ref> => {
    const res = await api.call(
      'GET',
      (d) => `${base}/${d}/object/hosts?filter=${encodeURIComponent(`nameOrValue:${name}`)}&expanded=true`,
    );
    if (res.status !== 200 && res.status !== 404) throw api.fail(res, 'look up host objects');
    let found =
      res.status === 200 ? json<{ items?: Host[] }>(res.text).items?.find((h) => h.name === name) : undefined;
    if (!found) {
      const made = await api.call('POST', (d) => `${base}/${d}/object/hosts`, {
        name,
        type: 'Host',
        value,
        description: OUR_DESCRIPTION,
      });
      if (made.status !== 201 && made.status !== 200) throw api.fail(made, `create the host object ${name}`);
      found = json<Host>(made.text);
    }
    if (found.description !== OUR_DESCRIPTION || found.value !== value) {
      throw new RelayError(
        'state conflict',
        `${FMC_PRODUCT} already has a host object ${name} that the relay did not create.`,
      );
    }
    return { id: found.id, name, type: 'Host' };
  };

  const putGroup = async (g: NetworkGroup, objects: Ref[]): Promise<void> => {
    const body = {
      id: g.id,
      name: g.name,
      type: g.type,
      objects,
      literals: g.literals ?? [],
      ...(g.description ? { description: g.description } : {}),
      ...(g.overridable === undefined ? {} : { overridable: g.overridable }),
    };
    const res = await api.call('PUT', (d) => `${base}/${d}/object/networkgroups/${g.id}`, body);
    if (res.status !== 200) throw api.fail(res, `update the network group ${g.name}`);
  };

  /** Deploys the listed devices when they have pending changes; the task id, or undefined when nothing is pending. */
  const deploy = async (): Promise<string | undefined> => {
    const res = await api.call('GET', (d) => `${base}/${d}/deployment/deployabledevices?expanded=true`);
    if (res.status !== 200) throw api.fail(res, 'list deployable devices');
    const items =
      json<{ items?: { version?: string; device?: { id?: string; name?: string } }[] }>(res.text).items ?? [];
    const mine = items.filter((i) => i.device?.name && legacy.devices.includes(i.device.name));
    if (mine.length === 0) return undefined;
    const version = mine
      .map((i) => String(i.version ?? '0'))
      .sort((a, b) => (BigInt(a) < BigInt(b) ? 1 : -1))[0];
    const req = await api.call('POST', (d) => `${base}/${d}/deployment/deploymentrequests`, {
      type: 'DeploymentRequest',
      version,
      forceDeploy: false,
      ignoreWarning: true,
      deviceList: mine.map((i) => i.device?.id),
    });
    if (req.status === 400 || req.status === 409 || req.status === 422) {
      throw new RelayError(
        'state conflict',
        `${FMC_PRODUCT} refused to deploy ${legacy.devices.join(', ')} now (a deployment may already be running).`,
      );
    }
    if (req.status !== 202 && req.status !== 200 && req.status !== 201) throw api.fail(req, 'deploy');
    const task = json<{ metadata?: { task?: { id?: string } } }>(req.text).metadata?.task?.id;
    if (!task)
      throw new RelayError(
        'unknown',
        `Unexpected response from ${FMC_PRODUCT}: a deployment without a task.`,
      );
    return task;
  };

  const block = (ips: readonly string[], pendingBefore: readonly string[]): Promise<BlockAnswer> =>
    lock(async () => {
      const names = ips.map(hostName);
      // Already pending from an earlier block: the same ids, no second deployment.
      const earlier = pendingBefore.filter((id) => names.includes(baseName(id)) && taskOf(id));
      if (names.length > 0 && names.every((n) => earlier.some((id) => baseName(id) === n))) {
        return {
          inForce: [],
          pending: earlier.map((id) => ({ id, what: `${FMC_PRODUCT} deployment ${taskOf(id)}` })),
        };
      }
      const g = await group();
      const objects = [...(g.objects ?? [])];
      const adding: Ref[] = [];
      for (const [i, name] of names.entries()) {
        if (!objects.some((o) => o.name === name)) adding.push(await host(name, ips[i] as string));
      }
      if (adding.length > 0) {
        const kept = objects.filter((o) => o.name !== PLACEHOLDER.name);
        await putGroup(g, [...kept, ...adding]);
      }
      const task = await deploy();
      if (!task) return { inForce: names, pending: [] };
      return {
        inForce: [],
        pending: names.map((n) => ({ id: `${n}@${task}`, what: `${FMC_PRODUCT} deployment ${task}` })),
      };
    });

  const unblock = (ids: readonly string[]): Promise<string[]> =>
    lock(async () => {
      const names = [
        ...new Set(ids.map(baseName).filter((n) => n.startsWith(PREFIX) && n !== PLACEHOLDER.name)),
      ];
      if (names.length === 0) return [...ids];
      let g: NetworkGroup | undefined;
      try {
        g = await group();
      } catch (err) {
        if (!(err instanceof RelayError && err.code === 'not found')) throw err;
      }
      const leaving = (g?.objects ?? []).filter((o) => o.name && names.includes(o.name));
      if (g && leaving.length > 0) {
        const rest = (g.objects ?? []).filter((o) => !leaving.includes(o));
        // FMC refuses an empty network group: our placeholder takes the last place.
        if (rest.length + (g.literals?.length ?? 0) === 0)
          rest.push(await host(PLACEHOLDER.name, PLACEHOLDER.value));
        await putGroup(g, rest);
        for (const o of leaving) await api.call('DELETE', (d) => `${base}/${d}/object/hosts/${o.id}`); // in use elsewhere: kept
      }
      // Deploy whenever the devices have pending changes, so an unblock whose deployment failed is completed now.
      await deploy();
      return [...ids];
    });

  const confirm = async (pendingIds: readonly string[]): Promise<ConfirmAnswer> => {
    const inForce: string[] = [];
    const pending: { id: string; what: string }[] = [];
    const failed: { id: string; reason: string }[] = [];
    const statuses = new Map<string, string>();
    for (const task of new Set(pendingIds.map(taskOf).filter((t): t is string => !!t))) {
      const res = await api.call('GET', (d) => `${base}/${d}/job/taskstatuses/${encodeURIComponent(task)}`);
      if (res.status === 404) statuses.set(task, 'Failed');
      else if (res.status !== 200) throw api.fail(res, 'read the deployment task');
      else statuses.set(task, String(json<{ status?: string }>(res.text).status ?? ''));
    }
    const members = new Set(((await group()).objects ?? []).map((o) => o.name));
    for (const id of pendingIds) {
      const task = taskOf(id) ?? '';
      const status = statuses.get(task) ?? 'Failed';
      if (/^(deployed|success)/i.test(status)) {
        if (members.has(baseName(id))) inForce.push(baseName(id));
        else
          failed.push({ id, reason: `${baseName(id)} is no longer in the network group ${legacy.group}.` });
      } else if (/fail|error|cancel/i.test(status)) {
        failed.push({ id, reason: `${FMC_PRODUCT} deployment ${task} failed.` });
      } else {
        pending.push({ id, what: `${FMC_PRODUCT} deployment ${task}` });
      }
    }
    return { inForce, pending, failed };
  };

  return { block, unblock, confirm };
}
