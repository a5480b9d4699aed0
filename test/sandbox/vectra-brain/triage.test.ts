/**
 * The fake brain's triage endpoints refuse what their sources do not
 * describe (src/sandbox/vectra-brain/README.md): the relay cannot come to
 * depend on a body or a release a real brain would refuse.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeBrain,
  type SeededScenario,
  seedSandboxScenario,
  startFakeBrain,
} from '../../../src/sandbox/vectra-brain/index.js';

let brain: FakeBrain;
let seeded: SeededScenario;
let bearer: string;
beforeEach(async () => {
  brain = await startFakeBrain({ apiToken: 'sandbox-token-1234567890', clients: { cid: 'csecret' } });
  seeded = seedSandboxScenario(brain);
  const res = await fetch(`${brain.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('cid:csecret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  bearer = ((await res.json()) as { access_token: string }).access_token;
});
afterEach(() => brain.close());

async function call(release: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${brain.url}/api/${release}/${path}`, {
    method,
    headers: {
      authorization: release === 'v2.5' ? 'Token sandbox-token-1234567890' : `Bearer ${bearer}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('fake brain triage endpoints', () => {
  it('marks detections fixed only with detectionIdList and mark_as_fixed', async () => {
    const ids = [seeded.c2DetectionId];
    expect((await call('v2.5', 'PATCH', 'detections', { detectionIdList: ids })).status).toBe(400);
    expect(
      (await call('v2.5', 'PATCH', 'detections', { detectionIdList: [], mark_as_fixed: 'True' })).status,
    ).toBe(400);
    expect(
      (await call('v2.5', 'PATCH', 'detections', { detectionIdList: [999], mark_as_fixed: 'True' })).status,
    ).toBe(400);
    const ok = await call('v3.4', 'PATCH', 'detections', { detectionIdList: ids, mark_as_fixed: 'True' });
    expect(ok).toEqual({
      status: 200,
      body: { _meta: { level: 'Success', message: 'Successfully marked detections' } },
    });
    expect(brain.state.detections.get(seeded.c2DetectionId)?.state).toBe('fixed');
  });

  it('closes detections only on v3.5, with reason remediated or benign', async () => {
    const body = { detectionIdList: [seeded.c2DetectionId], reason: 'remediated' };
    expect((await call('v3.4', 'PATCH', 'detections/close', body)).status).toBe(404);
    expect((await call('v2.5', 'PATCH', 'detections/close', body)).status).toBe(404);
    expect((await call('v3.5', 'PATCH', 'detections/close', { ...body, reason: 'fixed' })).status).toBe(400);
    expect((await call('v3.5', 'PATCH', 'detections', { ...body, mark_as_fixed: 'True' })).status).toBe(400);
    expect((await call('v3.5', 'PATCH', 'detections/close', body)).status).toBe(200);
  });

  it('creates one open assignment per object; v2.5 has no host assignments', async () => {
    const host = { assign_host_id: seeded.workstationId, assign_to_user_id: 2 };
    expect((await call('v2.5', 'POST', 'assignments', host)).status).toBe(400);
    expect((await call('v3.4', 'POST', 'assignments', { ...host, assign_to_user_id: 77 })).status).toBe(400);
    expect((await call('v3.4', 'POST', 'assignments', { ...host, note: 'x' })).status).toBe(400);
    const created = await call('v3.4', 'POST', 'assignments', host);
    expect(created.status).toBe(201);
    expect((await call('v3.4', 'POST', 'assignments', host)).status).toBe(409);
    const account = await call('v2.5', 'POST', 'assignments', {
      assign_account_id: String(seeded.accountId),
      assign_to_user_id: '2',
    });
    expect(account.status).toBe(201);
    const open = await call('v2.5', 'GET', `assignments?accounts=${seeded.accountId}&resolved=false`);
    expect((open.body.results as unknown[]).length).toBe(1);
    expect((await call('v2.5', 'GET', 'assignments?hosts=1')).status).toBe(400);
  });

  it('resolves with an outcome and exactly one of mark_as_fixed and triage_as, once', async () => {
    const made = await call('v3.4', 'POST', 'assignments', {
      assign_account_id: seeded.accountId,
      assign_to_user_id: 2,
    });
    const id = (made.body.assignment as { id: number }).id;
    const base = { outcome: 1, note: 'n', detection_ids: [seeded.privilegeDetectionId] };
    expect((await call('v3.4', 'PATCH', `assignments/${id}/resolve`, base)).status).toBe(405);
    expect((await call('v3.4', 'PUT', `assignments/${id}/resolve`, base)).status).toBe(400);
    expect(
      (
        await call('v3.4', 'PUT', `assignments/${id}/resolve`, {
          ...base,
          mark_as_fixed: true,
          triage_as: 'x',
        })
      ).status,
    ).toBe(400);
    expect(
      (await call('v3.4', 'PUT', `assignments/${id}/resolve`, { ...base, outcome: 42, mark_as_fixed: true }))
        .status,
    ).toBe(400);
    const done = await call('v3.4', 'PUT', `assignments/${id}/resolve`, { ...base, triage_as: 'Backup job' });
    expect(done.status).toBe(200);
    expect(brain.state.detections.get(seeded.privilegeDetectionId)?.is_triaged).toBe(true);
    expect(
      (await call('v3.4', 'PUT', `assignments/${id}/resolve`, { ...base, mark_as_fixed: true })).status,
    ).toBe(400);
  });
});
