import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CbApi } from '../../../src/vendors/carbon_black/client.js';
import {
  advanceJob,
  type CollectJob,
  describeJob,
  newJob,
  noteFor,
} from '../../../src/vendors/carbon_black/collect/job.js';
import { DirStore } from '../../../src/vendors/carbon_black/collect/store.js';
import type { CbConfig } from '../../../src/vendors/carbon_black/config.js';
import { openSession } from '../../../src/vendors/carbon_black/live-response.js';
import { type Harness, startHarness, stopHarness } from './harness.js';

const HOSTS_FILE = 'C:\\Windows\\System32\\drivers\\etc\\hosts';

let h: Harness | undefined;
let dir: string;
let store: DirStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cb-collect-'));
  store = new DirStore(dir);
});
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
  await rm(dir, { recursive: true, force: true });
});

const apiOf = (harness: Harness) =>
  new CbApi(
    {
      url: harness.fake.url,
      orgKey: harness.fake.orgKey,
      apiId: harness.fake.apiId,
      apiSecret: harness.fake.apiSecret,
    } satisfies CbConfig,
    harness.ctx,
  );

async function start(harness: Harness, deviceId: number, files: string[], timeoutS = 900, now = new Date()) {
  const api = apiOf(harness);
  const sessionId = await openSession(api, deviceId);
  const job = newJob(
    {
      url: harness.fake.url,
      orgKey: harness.fake.orgKey,
      deviceId,
      deviceName: 'WKS-FIN-042',
      host: { id: 42, name: 'wks-fin-042', ip: '10.20.30.42' },
      sessionId,
    },
    files,
    timeoutS,
    now,
  );
  return { api, job };
}

const step = (api: CbApi, job: CollectJob, now = new Date()) => advanceJob(api, store, job, now);

describe('Carbon Black live-response collection job', () => {
  it('runs end to end: session, process list and file transfer, results in the store, session closed', async () => {
    h = await startHarness();
    const { api, job } = await start(h, 1001, [HOSTS_FILE]);
    await step(api, job);
    expect(job.state).toBe('waiting'); // the sensor has not checked in yet
    h.fake.settle();
    await step(api, job);
    expect(job.state).toBe('running');
    h.fake.settle();
    await step(api, job);
    expect(job.state).toBe('complete');
    expect(job.items.map((i) => [i.status, i.key])).toEqual([
      ['done', `results/${job.id}/processes.json`],
      ['done', `results/${job.id}/files/1-hosts`],
    ]);
    expect((await store.get(`results/${job.id}/files/1-hosts`))?.toString()).toBe('127.0.0.1 localhost\n');
    const processes = JSON.parse((await store.get(`results/${job.id}/processes.json`))?.toString() ?? '[]');
    expect(processes.map((p: { pid: number }) => p.pid)).toEqual([4, 812]);
    expect(
      JSON.parse((await store.get(`results/${job.id}/manifest.json`))?.toString() ?? '{}'),
    ).toMatchObject({
      state: 'complete',
    });
    expect(h.fake.state.sessions.get(job.sessionId)?.status).toBe('CLOSED');
    expect(noteFor(job, store.location)).toContain(`results/${job.id}/files/1-hosts`);
    expect(noteFor(job, store.location)).not.toMatch(/https?:\/\//);
  });

  it('keeps going when one file is missing: that item fails, the job completes', async () => {
    h = await startHarness();
    const { api, job } = await start(h, 1001, ['C:\\nope.txt', HOSTS_FILE]);
    h.fake.settle();
    await step(api, job);
    h.fake.settle();
    await step(api, job);
    expect(job.state).toBe('complete');
    expect(job.items.map((i) => i.status)).toEqual(['done', 'error', 'done']);
    expect(job.items[1]?.error).toContain('cannot find the file');
  });

  it('sensor offline: the job stays waiting, then times out cleanly at its deadline and closes the session', async () => {
    h = await startHarness();
    const t0 = new Date();
    const { api, job } = await start(h, 9003, [HOSTS_FILE], 120, t0);
    h.fake.settle();
    await step(api, job, new Date(t0.getTime() + 60_000));
    expect(job.state).toBe('waiting');
    expect(describeJob(job)).toContain('waiting for the sensor');
    await step(api, job, new Date(t0.getTime() + 121_000));
    expect(job.state).toBe('timed out');
    expect(job.reason).toContain('did not check in');
    expect(job.items.every((i) => i.status === 'error' && !i.key)).toBe(true);
    expect(h.fake.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([
      `liveresponse/sessions/${job.sessionId}`,
    ]);
    expect(await store.list('results/')).toEqual([]);
  });

  it('a session the server dropped (check-in timeout) ends the job as timed out', async () => {
    h = await startHarness({ checkInTimeoutS: 0 });
    const { api, job } = await start(h, 9003, []);
    await step(api, job);
    expect(job.state).toBe('timed out');
    expect(job.reason).toContain('dropped the session');
  });

  it('a transient upstream error leaves the state for the next step', async () => {
    h = await startHarness();
    const { api, job } = await start(h, 1001, [HOSTS_FILE]);
    h.fake.settle();
    await step(api, job);
    h.fake.settle();
    h.fake.inject(500, { path: '/commands/' });
    await step(api, job);
    expect(job.state).toBe('running');
    expect(job.lastError).toContain('internal error');
    await step(api, job);
    expect(job.state).toBe('complete');
    expect(job.lastError).toBeUndefined();
  });

  it('is idempotent once ended: a further step calls nothing', async () => {
    h = await startHarness({ checkInTimeoutS: 0 });
    const { api, job } = await start(h, 9003, []);
    await step(api, job);
    const calls = h.fake.calls.length;
    await step(api, job);
    expect(h.fake.calls.length).toBe(calls);
  });
});
