/**
 * A live-response collection job: one session on one device, a process list
 * and the deployment's files, each result written to the object store. The
 * job is a JSON record in the store, advanced one step at a time by
 * `advanceJob` (each step a few quick calls, so a request or a scheduled run
 * never waits for the sensor). States:
 *
 *   waiting ──(session ACTIVE)──▶ running ──(every item done or failed)──▶ complete
 *      └──(deadline, or the server dropped the session)──▶ timed out ◀──(deadline)──┘
 *
 * A transient upstream error leaves the state as it is (recorded in `lastError`);
 * the deadline still ends the job. Every end closes the session.
 */
import { randomUUID } from 'node:crypto';
import { toWireError } from '../../../kernel/errors.js';
import type { CbApi } from '../client.js';
import { closeSession, commandState, fileContent, runCommand, sessionStatus } from '../live-response.js';
import type { ObjectStore } from './store.js';

export type JobState = 'waiting' | 'running' | 'complete' | 'timed out' | 'failed';
export const TERMINAL: ReadonlySet<JobState> = new Set(['complete', 'timed out', 'failed']);

export interface CollectItem {
  readonly kind: 'processes' | 'file';
  readonly path?: string;
  commandId?: number;
  fileId?: string;
  status: 'queued' | 'running' | 'done' | 'error';
  /** Object key of the result, once stored. */
  key?: string;
  error?: string;
}

export interface CollectJob {
  readonly id: string;
  readonly url: string;
  readonly orgKey: string;
  readonly deviceId: number;
  readonly deviceName: string;
  readonly host: { readonly id: number; readonly name: string; readonly ip: string };
  readonly sessionId: string;
  readonly createdAt: string;
  readonly deadline: string;
  state: JobState;
  updatedAt: string;
  items: CollectItem[];
  lastError?: string;
  /** Why the job ended, for a job that did not complete. */
  reason?: string;
  /** True once the Vectra note is written. */
  noted?: boolean;
}

export const jobKey = (id: string) => `jobs/${id}.json`;
export const activeKey = (id: string) => `active/${id}`;
export const deviceKey = (orgKey: string, deviceId: number) => `devices/${orgKey}/${deviceId}.json`;
export const resultPrefix = (id: string) => `results/${id}/`;

export const newJobId = (now: Date): string =>
  `cbc-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;

/** `C:\Users\a\NTUSER.DAT` → `NTUSER.DAT`, made safe as one key segment. */
export const safeName = (path: string): string =>
  (path.split(/[\\/]/).pop() ?? 'file').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100) || 'file';

export function newJob(
  init: Omit<CollectJob, 'state' | 'updatedAt' | 'items' | 'createdAt' | 'deadline' | 'id'>,
  files: readonly string[],
  timeoutS: number,
  now: Date,
): CollectJob {
  return {
    id: newJobId(now),
    ...init,
    createdAt: now.toISOString(),
    deadline: new Date(now.getTime() + timeoutS * 1000).toISOString(),
    state: 'waiting',
    updatedAt: now.toISOString(),
    items: [
      { kind: 'processes', status: 'queued' },
      ...files.map((path) => ({ kind: 'file' as const, path, status: 'queued' as const })),
    ],
  };
}

export async function saveJob(store: ObjectStore, job: CollectJob): Promise<void> {
  await store.put(jobKey(job.id), JSON.stringify(job, null, 2), 'application/json');
}

export async function loadJob(store: ObjectStore, id: string): Promise<CollectJob | undefined> {
  const raw = await store.get(jobKey(id));
  return raw ? (JSON.parse(raw.toString('utf8')) as CollectJob) : undefined;
}

/** One step of the job; answers the job as it now stands (also saved by the caller). */
export async function advanceJob(
  api: CbApi,
  store: ObjectStore,
  job: CollectJob,
  now: Date,
): Promise<CollectJob> {
  if (TERMINAL.has(job.state)) return job;
  const late = now.getTime() >= Date.parse(job.deadline);
  try {
    if (job.state === 'waiting') await stepWaiting(api, job, late);
    else await stepRunning(api, store, job, late);
    delete job.lastError;
  } catch (err) {
    job.lastError = toWireError(err).message.slice(0, 300);
    if (late) end(job, 'timed out', `gave up at the deadline after an error: ${job.lastError}`);
  }
  if (TERMINAL.has(job.state)) {
    await closeSession(api, job.sessionId).catch(() => undefined);
    if (job.state === 'complete' || job.items.some((i) => i.key)) {
      await store.put(
        `${resultPrefix(job.id)}manifest.json`,
        JSON.stringify(manifest(job), null, 2),
        'application/json',
      );
    }
  }
  job.updatedAt = now.toISOString();
  return job;
}

function end(job: CollectJob, state: JobState, reason?: string): void {
  job.state = state;
  if (reason) job.reason = reason;
  for (const i of job.items) {
    if (i.status === 'queued' || i.status === 'running') {
      i.status = 'error';
      i.error = state === 'timed out' ? 'not finished before the deadline' : (reason ?? state);
    }
  }
}

async function stepWaiting(api: CbApi, job: CollectJob, late: boolean): Promise<void> {
  const status = await sessionStatus(api, job.sessionId);
  if (status === 'ACTIVE') {
    for (const item of job.items) {
      const c = await runCommand(
        api,
        job.sessionId,
        item.kind === 'processes'
          ? { name: 'process list' }
          : { name: 'get file', path: item.path as string },
      );
      item.commandId = c.id;
      if (c.fileId) item.fileId = c.fileId;
      item.status = 'running';
    }
    job.state = 'running';
  } else if (status === 'GONE') {
    end(job, 'timed out', 'the sensor did not check in: Carbon Black Cloud dropped the session');
  } else if (status === 'OTHER') {
    end(job, 'failed', 'Carbon Black Cloud reported the session in error');
  } else if (late) {
    end(job, 'timed out', 'the sensor did not check in before the deadline');
  }
}

async function stepRunning(api: CbApi, store: ObjectStore, job: CollectJob, late: boolean): Promise<void> {
  for (const item of job.items.filter((i) => i.status === 'running')) {
    const s = await commandState(api, job.sessionId, item.commandId as number);
    if (s.status === 'PENDING') continue;
    if (s.status !== 'COMPLETE') {
      item.status = 'error';
      item.error = s.status === 'GONE' ? 'the session ended before the command' : (s.error ?? 'error');
      continue;
    }
    if (item.kind === 'processes') {
      item.key = `${resultPrefix(job.id)}processes.json`;
      await store.put(item.key, JSON.stringify(s.processes ?? [], null, 2), 'application/json');
    } else {
      const n = job.items.indexOf(item);
      item.key = `${resultPrefix(job.id)}files/${n}-${safeName(item.path as string)}`;
      await store.put(
        item.key,
        await fileContent(api, job.sessionId, item.fileId as string),
        'application/octet-stream',
      );
    }
    item.status = 'done';
  }
  if (job.items.every((i) => i.status === 'done' || i.status === 'error')) job.state = 'complete';
  else if (late) end(job, 'timed out', 'the commands did not finish before the deadline');
}

export function manifest(job: CollectJob) {
  return {
    job: job.id,
    device: { id: job.deviceId, name: job.deviceName },
    host: job.host,
    state: job.state,
    ...(job.reason ? { reason: job.reason } : {}),
    items: job.items.map((i) => ({
      kind: i.kind,
      ...(i.path ? { path: i.path } : {}),
      status: i.status,
      ...(i.key ? { key: i.key } : {}),
      ...(i.error ? { error: i.error } : {}),
    })),
  };
}

/** One line for `/respond/observables`, the audit record and logs. */
export function describeJob(job: CollectJob): string {
  const done = job.items.filter((i) => i.status === 'done').length;
  const what =
    job.state === 'waiting'
      ? 'waiting for the sensor to check in'
      : job.state === 'running'
        ? `running (${done} of ${job.items.length} collected)`
        : job.state === 'complete'
          ? `complete (${done} of ${job.items.length} collected)`
          : `${job.state}${job.reason ? `: ${job.reason}` : ''}`;
  return `Carbon Black collection ${job.id} on device ${job.deviceId} (${job.deviceName}): ${what}`;
}

/** The Vectra note: where the results are, by object key (never a presigned URL). */
export function noteFor(job: CollectJob, location: string): string {
  const lines = [describeJob(job), `Store: ${location}`];
  for (const i of job.items) {
    const label = i.kind === 'processes' ? 'process list' : i.path;
    lines.push(i.key ? `- ${label}: ${i.key}` : `- ${label}: ${i.error ?? i.status}`);
  }
  return lines.join('\n').slice(0, 8000);
}
