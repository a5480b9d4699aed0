/** The collection end to end: respond and trigger through the relay's Lambda handler, then the collect function's runs. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCollectHandler } from '../../../src/handlers/collect.js';
import { carbonBlackFake } from '../../../src/sandbox/carbon_black/index.js';
import type { RunningFake } from '../../../src/sandbox/fake.js';
import { SCENARIO } from '../../../src/sandbox/vectra-brain/index.js';
import { type E2E, startE2E } from '../../helpers/e2e.js';

const HOSTS_FILE = 'C:\\Windows\\System32\\drivers\\etc\\hosts';

let e: E2E;
let cb: RunningFake;
let dir: string;
let claims: Record<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cb-collect-e2e-'));
  vi.stubEnv('COLLECT_DIR', dir);
  vi.stubEnv('CARBON_BLACK_COLLECT_FILES', HOSTS_FILE);
  e = await startE2E();
  cb = await carbonBlackFake.start({ hosts: [SCENARIO.workstation], jobMs: 60_000 });
  claims = { ...e.claims, block_clients: 'carbon_black', ...cb.claims };
});
afterAll(async () => {
  await cb.close();
  await e.close();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  data: { id: string; title: string; description: string; 'query-params': Record<string, string> }[];
  errors?: { type: string; code: string; message: string }[];
}
const respond = async () =>
  (await e.call('/respond/observables', [{ type: 'ip', value: SCENARIO.workstation.ip }], claims))
    .json as Answer;

const collect = createCollectHandler({
  env: {
    ALLOW_LOOPBACK_UPSTREAMS: 'true',
    LOG_LEVEL: 'INFO',
    ENGINE_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:engine',
    get COLLECT_DIR() {
      return dir;
    },
    CARBON_BLACK_COLLECT_FILES: HOSTS_FILE,
  },
  readSecret: async () => JSON.stringify(claims),
});

describe('Carbon Black live-response collection, end to end', () => {
  it('starts at once, shows its state while running, and lands its results in the store with a note', async () => {
    const offered = (await respond()).data.find((a) => a.id === 'carbon_black-collect');
    expect(offered?.title).toBe(
      `Collect evidence from ${SCENARIO.workstation.name} via Carbon Black Cloud live response`,
    );

    const started = (
      await e.call('/respond/trigger', { 'action-id': offered?.id, ...offered?.['query-params'] }, claims)
    ).json as { data: { status: string }; errors: { type: string; code: string; message: string }[] };
    expect(started.data.status).toBe('success');
    expect(started.errors[0]).toMatchObject({ type: 'warning', code: 'pending' });
    const jobId = /Collection job (cbc-[\w-]+)/.exec(started.errors[0]?.message ?? '')?.[1] as string;
    expect(jobId).toBeDefined();
    expect(e.logs.join('\n')).toMatch(
      new RegExp(`"action":"carbon_black-collect".*"elements":\\["${jobId}"\\].*"outcome":"pending"`),
    );

    // While it runs, the host's respond answer says so instead of offering a second collection.
    const during = await respond();
    expect(during.data.some((a) => a.id === 'carbon_black-collect')).toBe(false);
    expect(during.errors?.find((x) => x.code === 'carbon-black-collection')?.message).toContain(
      `${jobId} on device 1001 (WKS-FIN-042): waiting for the sensor`,
    );

    expect((await collect({})).active).toBe(1); // the sensor has not checked in
    cb.settle?.();
    await collect({}); // session active: commands queued
    cb.settle?.();
    const last = await collect({});
    expect(last.ended).toEqual([{ id: jobId, state: 'complete' }]);
    // The job's end is an audit record too, naming the result keys.
    expect(e.logs.join('\n')).toMatch(
      new RegExp(
        `"action":"carbon_black-collect".*"elements":\\["${jobId}","results/${jobId}/processes.json".*"outcome":"success".*"source":"engine"`,
      ),
    );
    expect(e.logs.join('\n')).not.toContain(cb.claims.carbon_black_api_secret as string);

    expect(await readFile(join(dir, 'results', jobId, 'files', '1-hosts'), 'utf8')).toBe(
      '127.0.0.1 localhost\n',
    );
    expect(JSON.parse(await readFile(join(dir, 'results', jobId, 'processes.json'), 'utf8'))).toHaveLength(2);
    const notes = (e.brain.state.notes.get(`host:${e.seeded.workstationId}`) ?? []).map((n) => n.note);
    const note = notes.find((n) => n.includes(jobId)) ?? '';
    expect(note).toContain(`results/${jobId}/files/1-hosts`);
    expect(note).not.toMatch(/https?:\/\//);

    const after = (await respond()).data.find((a) => a.id === 'carbon_black-collect');
    expect(after?.description).toContain(
      `Last: Carbon Black collection ${jobId} on device 1001 (WKS-FIN-042): complete`,
    );
    expect((await collect({})).active).toBe(0);
  });
});
