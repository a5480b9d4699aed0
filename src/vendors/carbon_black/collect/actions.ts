/**
 * The collection's respond surface: offer "Collect evidence" for hosts with
 * exactly one Carbon Black device (the block client's matching rule), show a
 * running job as a warning, and start a job on trigger without waiting for
 * the sensor. One running job per device: a second trigger answers the
 * running one.
 */
import pLimit from 'p-limit';
import type { RequestContext } from '../../../kernel/context.js';
import type { RespondAction } from '../../../kernel/ctim.js';
import { invalidArgument, RelayError, warning } from '../../../kernel/errors.js';
import { withKeyLock } from '../../../kernel/keyed-lock.js';
import type { VectraHost } from '../../../kernel/model.js';
import type { Observable } from '../../../kernel/observables.js';
import type { Outcome, TriggerRequest, TriggerResult } from '../../../kernel/vendor.js';
import { VectraClient } from '../../vectra/client.js';
import { CbApi, type Device } from '../client.js';
import { MODULE, PRODUCT } from '../config.js';
import { findDevice } from '../devices.js';
import { openSession } from '../live-response.js';
import {
  activeKey,
  type CollectJob,
  describeJob,
  deviceKey,
  loadJob,
  newJob,
  resultPrefix,
  saveJob,
  TERMINAL,
} from './job.js';
import { openStore } from './open-store.js';
import type { ObjectStore } from './store.js';
import { COLLECT_ACTION, type CollectConfig } from './vendor.js';

/** The latest job of a device, from its pointer. */
export async function latestJob(
  store: ObjectStore,
  orgKey: string,
  deviceId: number,
): Promise<CollectJob | undefined> {
  const raw = await store.get(deviceKey(orgKey, deviceId));
  if (!raw) return undefined;
  const { job } = JSON.parse(raw.toString('utf8')) as { job?: string };
  return typeof job === 'string' ? loadJob(store, job) : undefined;
}

/** The host's one device, `undefined` when Carbon Black has none; a conflict is worth a warning. */
async function deviceOf(api: CbApi, host: VectraHost): Promise<Device | RelayError | undefined> {
  try {
    return await findDevice(api, host);
  } catch (err) {
    if (err instanceof RelayError && err.code === 'not found') return undefined;
    if (err instanceof RelayError && err.code === 'state conflict') return err;
    throw err;
  }
}

export async function offerCollect(
  cfg: CollectConfig,
  observables: readonly Observable[],
  ctx: RequestContext,
): Promise<Outcome<RespondAction[]>> {
  const vectra = new VectraClient(cfg.vectra, ctx);
  const api = new CbApi(cfg.cb, ctx);
  const store = await openStore(cfg.settings);
  const limit = pLimit(ctx.config.upstreamConcurrency);
  const data: RespondAction[] = [];
  const errors: unknown[] = [];
  await Promise.all(
    observables.map((o) =>
      limit(async () => {
        try {
          for (const host of await vectra.findHosts(o, { maxItems: 5 })) {
            const device = await deviceOf(api, host);
            if (device === undefined) continue;
            if (device instanceof RelayError) {
              errors.push(warning('carbon-black-match', device.message));
              continue;
            }
            const job = await latestJob(store, cfg.cb.orgKey, device.id);
            if (job && !TERMINAL.has(job.state)) {
              errors.push(warning('carbon-black-collection', describeJob(job)));
              continue;
            }
            const files = cfg.settings.files.length;
            data.push({
              id: COLLECT_ACTION,
              title: `Collect evidence from ${host.name} via ${PRODUCT} live response`,
              description:
                `Process list${files ? ` and ${files} file(s)` : ''} from device ${device.id} to ${store.location}` +
                (job ? `. Last: ${describeJob(job)}` : ''),
              categories: ['Carbon Black', 'Investigate'],
              'query-params': {
                observable_type: o.type,
                observable_value: o.value,
                host_id: String(host.id),
              },
            });
          }
        } catch (err) {
          errors.push(err);
        }
      }),
    ),
  );
  return { data, errors };
}

export async function startCollect(
  cfg: CollectConfig,
  req: TriggerRequest,
  ctx: RequestContext,
): Promise<TriggerResult> {
  if (req.actionId !== COLLECT_ACTION) throw new RelayError('invalid argument', 'Unsupported action.');
  const raw = req.params.host_id;
  if (raw === undefined || !/^\d{1,12}$/.test(raw)) {
    throw invalidArgument('Invalid JSON payload received. host_id: Missing or not a Vectra id.');
  }
  const vectra = new VectraClient(cfg.vectra, ctx);
  const api = new CbApi(cfg.cb, ctx);
  const store = await openStore(cfg.settings);
  return withKeyLock(`${MODULE}|collect|${cfg.cb.url}|${raw}`, async () => {
    const host = await vectra.getHost(Number(raw));
    if (!host) throw new RelayError('not found', `The host ${raw} no longer exists in Vectra Detect.`);
    const device = await findDevice(api, host);
    const running = await latestJob(store, cfg.cb.orgKey, device.id);
    if (running && !TERMINAL.has(running.state)) {
      return { elements: [running.id], client: MODULE, unchanged: true, pending: `${describeJob(running)}.` };
    }
    const sessionId = await openSession(api, device.id);
    const job = newJob(
      {
        url: cfg.cb.url,
        orgKey: cfg.cb.orgKey,
        deviceId: device.id,
        deviceName: device.name ?? '',
        host: { id: host.id, name: host.name, ip: host.ip ?? '' },
        sessionId,
      },
      cfg.settings.files,
      cfg.settings.timeoutS,
      new Date(),
    );
    await saveJob(store, job);
    await store.put(activeKey(job.id), job.id, 'text/plain');
    await store.put(deviceKey(cfg.cb.orgKey, device.id), JSON.stringify({ job: job.id }), 'application/json');
    ctx.log.info('carbon black collection started', { job: job.id, deviceId: device.id, host: host.id });
    return {
      elements: [job.id],
      client: MODULE,
      pending:
        `Collection job ${job.id} started on ${PRODUCT} device ${device.id} (${device.name ?? host.name}); ` +
        `it continues in the background (session wait up to ${cfg.settings.timeoutS} s). Its state shows in this ` +
        `host's respond actions and the audit log; results go to ${store.location} under ${resultPrefix(job.id)}.`,
    };
  });
}
