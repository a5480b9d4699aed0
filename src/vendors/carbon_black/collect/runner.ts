/**
 * Advances every active collection job one step. Runs with the deployment's
 * claims (the engine's secret in AWS, the sandbox's claims locally), never a
 * token's: a job keeps running after the request that started it is gone.
 * Called by the `collect` function on its schedule (`src/handlers/collect.ts`)
 * and by the local server's timer. A job that ends gets a Vectra note on its
 * host naming the result keys, and one audit record.
 */
import { audit } from '../../../kernel/audit.js';
import type { RelayConfig } from '../../../kernel/config.js';
import type { Claims, RequestContext } from '../../../kernel/context.js';
import { toWireError } from '../../../kernel/errors.js';
import type { Logger } from '../../../kernel/logger.js';
import { VectraClient } from '../../vectra/client.js';
import { parseVectraConfig } from '../../vectra/config.js';
import { CbApi } from '../client.js';
import { cbConfigOf, isListed, MODULE } from '../config.js';
import {
  activeKey,
  advanceJob,
  type CollectJob,
  describeJob,
  loadJob,
  noteFor,
  saveJob,
  TERMINAL,
} from './job.js';
import { openStore } from './open-store.js';
import type { CollectSettings } from './settings.js';
import { COLLECT_ACTION } from './vendor.js';

/** Jobs looked at per run: more wait for the next run. */
export const MAX_JOBS_PER_RUN = 100;

export interface CollectRunSetup {
  readonly claims: Claims;
  readonly config: RelayConfig;
  readonly log: Logger;
  readonly settings: CollectSettings;
  readonly deadlineMs?: number;
  readonly now?: () => Date;
}

export interface CollectRunSummary {
  readonly active: number;
  readonly ended: readonly { readonly id: string; readonly state: string }[];
  readonly skipped?: string;
}

export async function advanceCollections(setup: CollectRunSetup): Promise<CollectRunSummary> {
  const { claims, config, log, settings } = setup;
  const now = setup.now ?? (() => new Date());
  if (!isListed(claims)) {
    return { active: 0, ended: [], skipped: 'carbon_black is not in the deployment claims' };
  }
  const ms = setup.deadlineMs ?? 60_000;
  const ctx: RequestContext = {
    config,
    claims,
    claimsSource: 'engine',
    entitiesLimit: 100,
    signal: AbortSignal.timeout(ms),
    deadline: Date.now() + ms,
    log,
    moduleInstanceId: undefined,
  };
  const cb = cbConfigOf(claims, config, 'engine');
  const vectraCfg = parseVectraConfig(claims, config);
  const vectra = vectraCfg ? new VectraClient(vectraCfg, ctx) : undefined;
  const api = new CbApi(cb, ctx);
  const store = await openStore(settings);
  const keys = await store.list('active/', MAX_JOBS_PER_RUN);
  const ended: { id: string; state: string }[] = [];
  for (const key of keys) {
    const id = key.slice('active/'.length);
    try {
      const job = await loadJob(store, id);
      if (!job) {
        await store.delete(key);
        continue;
      }
      if (job.url !== cb.url || job.orgKey !== cb.orgKey) {
        // Started under a token for another org: the deployment has no credentials to finish it.
        job.state = 'failed';
        job.reason = "the deployment's Carbon Black credentials are for another org";
      } else {
        await advanceJob(api, store, job, now());
      }
      await saveJob(store, job);
      if (TERMINAL.has(job.state)) {
        await finish(job, store.location, vectra, log);
        await saveJob(store, job);
        await store.delete(activeKey(job.id));
        ended.push({ id: job.id, state: job.state });
      }
    } catch (err) {
      log.warn('collection job not advanced', { job: id, reason: toWireError(err).message });
    }
  }
  return { active: keys.length - ended.length, ended };
}

async function finish(job: CollectJob, location: string, vectra: VectraClient | undefined, log: Logger) {
  if (vectra && !job.noted) {
    try {
      await vectra.addNote('host', job.host.id, noteFor(job, location));
      job.noted = true;
    } catch (err) {
      log.warn('collection note not added', { job: job.id, reason: toWireError(err).message });
    }
  }
  audit(log, {
    action: COLLECT_ACTION,
    observable: { type: 'ip', value: job.host.ip },
    client: MODULE,
    elements: [job.id, ...job.items.flatMap((i) => (i.key ? [i.key] : []))],
    outcome: job.state === 'complete' ? 'success' : 'failure',
    error: job.state === 'complete' ? undefined : describeJob(job),
    moduleInstanceId: undefined,
    durationMs: Date.parse(job.updatedAt) - Date.parse(job.createdAt),
    source: 'engine',
  });
}
