/**
 * Triage actions of the Vectra vendor (`vectra-triage-*`) against the fake
 * brain: offered per host/account and API version, each trigger idempotent
 * (a repeat answers `unchanged`), and only documented calls on the wire.
 */
import { describe, expect, it } from 'vitest';
import type { RespondAction } from '../../../src/kernel/ctim.js';
import type { TriggerRequest } from '../../../src/kernel/vendor.js';
import {
  type FakeBrain,
  SCENARIO,
  type SeededScenario,
  seedSandboxScenario,
} from '../../../src/sandbox/vectra-brain/index.js';
import { vectraVendor } from '../../../src/vendors/vectra/index.js';
import { apiCalls, configFor, ctxFor, type Flavour, useFreshBrain } from './helpers.js';

let brain: FakeBrain;
let seeded: SeededScenario;
useFreshBrain((b) => {
  brain = b;
  seeded = seedSandboxScenario(b);
});

const cfgFor = (flavour: Flavour, extra: Record<string, string> = {}) =>
  configFor(brain, flavour, { vectra_assignee_id: '2', ...extra });

async function offers(flavour: Flavour, type: string, value: string, extra: Record<string, string> = {}) {
  const respond = vectraVendor.respond;
  if (!respond) throw new Error('no respond');
  return respond(cfgFor(flavour, extra), [{ type, value }], ctxFor());
}

async function run(flavour: Flavour, a: RespondAction, extra: Record<string, string> = {}) {
  const trigger = vectraVendor.trigger;
  if (!trigger) throw new Error('no trigger');
  const { observable_type, observable_value, ...params } = a['query-params'];
  const req: TriggerRequest = {
    actionId: a.id,
    observable: { type: observable_type ?? '', value: observable_value ?? '' },
    params,
  };
  return trigger(cfgFor(flavour, extra), req, ctxFor());
}

const find = (actions: RespondAction[], id: string, param?: [string, string]) => {
  const a = actions.find((x) => x.id === id && (!param || x['query-params'][param[0]] === param[1]));
  if (!a) throw new Error(`no ${id} among ${actions.map((x) => x.id).join(', ')}`);
  return a;
};
const detectionState = (id: number) => brain.state.detections.get(id)?.state;

describe.each(['v2.5', 'v3'] as Flavour[])('triage on %s', (flavour) => {
  it('marks the host\u2019s active detections fixed once (PATCH /detections, mark_as_fixed)', async () => {
    const { data, errors } = await offers(flavour, 'ip', SCENARIO.workstation.ip);
    expect(errors).toEqual([]);
    const fix = find(data, 'vectra-triage-fix-host');
    expect(fix['query-params']).toEqual({
      observable_type: 'ip',
      observable_value: SCENARIO.workstation.ip,
      host_id: String(seeded.workstationId),
    });
    expect(await run(flavour, fix)).toEqual({ elements: [`detection:${seeded.c2DetectionId}`] });
    expect(detectionState(seeded.c2DetectionId)).toBe('fixed');
    const writes = apiCalls(brain, '/detections').filter((r) => r.method === 'PATCH');
    expect(writes.map((r) => r.path)).toEqual([`/api/${flavour === 'v3' ? 'v3.4' : 'v2.5'}/detections`]);
    // The repeat finds nothing active and writes nothing.
    expect(await run(flavour, fix)).toEqual({ elements: [], unchanged: true });
    expect(apiCalls(brain, '/detections').filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('marks an account\u2019s detections fixed through its detection_set', async () => {
    const { data } = await offers(flavour, 'user', SCENARIO.account);
    const fix = find(data, 'vectra-triage-fix-account');
    expect(await run(flavour, fix)).toEqual({ elements: [`detection:${seeded.privilegeDetectionId}`] });
    expect(detectionState(seeded.privilegeDetectionId)).toBe('fixed');
  });

  it('adds a note once: the same text again is unchanged', async () => {
    const { data } = await offers(flavour, 'hostname', SCENARIO.workstation.name);
    const note = find(data, 'vectra-triage-note-host');
    const first = await run(flavour, note);
    expect(first.elements).toEqual([expect.stringMatching(/^note:\d+$/)]);
    expect(await run(flavour, note)).toEqual({ elements: ['note'], unchanged: true });
    expect(brain.state.notes.get(`host:${seeded.workstationId}`)?.map((n) => n.note)).toEqual([
      `Reviewed in Cisco XDR (hostname ${SCENARIO.workstation.name}).`,
    ]);
  });

  it('refuses a note with control characters or over the length limit', async () => {
    const { data } = await offers(flavour, 'user', SCENARIO.account);
    const note = find(data, 'vectra-triage-note-account');
    const bad = { ...note, 'query-params': { ...note['query-params'], note: 'x\u0007y' } };
    await expect(run(flavour, bad)).rejects.toMatchObject({ code: 'invalid argument' });
  });

  it('assigns an account to the configured user, then offers and performs the resolve', async () => {
    let { data } = await offers(flavour, 'user', SCENARIO.account);
    const assign = find(data, 'vectra-triage-assign-account');
    const created = await run(flavour, assign);
    expect(created.elements).toEqual([expect.stringMatching(/^assignment:\d+$/)]);
    expect(await run(flavour, assign)).toEqual({ elements: created.elements, unchanged: true });
    expect([...brain.state.assignments.values()]).toHaveLength(1);

    ({ data } = await offers(flavour, 'user', SCENARIO.account));
    expect(data.some((a) => a.id === 'vectra-triage-assign-account')).toBe(false);
    const resolve = find(data, 'vectra-triage-resolve-account', ['outcome', 'malicious_true_positive']);
    const done = await run(flavour, resolve);
    expect(done.elements).toEqual([
      created.elements[0],
      'outcome:malicious_true_positive',
      `detection:${seeded.privilegeDetectionId}`,
    ]);
    const stored = [...brain.state.assignments.values()][0];
    expect(stored?.outcome).toMatchObject({ id: 2, category: 'malicious_true_positive' });
    expect(stored?.triaged_detections).toEqual([seeded.privilegeDetectionId]);
    expect(detectionState(seeded.privilegeDetectionId)).toBe('fixed');
    expect(await run(flavour, resolve)).toEqual({ elements: created.elements, unchanged: true });
  });

  it('reports an account already assigned to someone else as a state conflict', async () => {
    brain.state.users.set(9, { id: 9, username: 'other' });
    brain.state.assignments.set(50, {
      id: 50,
      date_resolved: null,
      host_id: null,
      account_id: seeded.accountId,
      assigned_to: { id: 9, username: 'other' },
    });
    const { data } = await offers(flavour, 'user', SCENARIO.account);
    expect(data.some((a) => a.id === 'vectra-triage-resolve-account')).toBe(true);
    const assign: RespondAction = {
      id: 'vectra-triage-assign-account',
      title: '',
      description: '',
      categories: [],
      'query-params': {
        observable_type: 'user',
        observable_value: SCENARIO.account,
        account_id: String(seeded.accountId),
      },
    };
    await expect(run(flavour, assign)).rejects.toMatchObject({
      code: 'state conflict',
      message: expect.stringContaining('assignment 50'),
    });
  });

  it('offers no assignment without vectra_assignee_id', async () => {
    const { data } = await offers(flavour, 'user', SCENARIO.account, { vectra_assignee_id: '' });
    expect(data.map((a) => a.id)).toEqual(['vectra-triage-fix-account', 'vectra-triage-note-account']);
  });
});

describe('triage per API version', () => {
  it('v2.5 assigns accounts only (host assignments need v3.3+)', async () => {
    const v25 = (await offers('v2.5', 'ip', SCENARIO.workstation.ip)).data.map((a) => a.id);
    expect(v25).toEqual(['vectra-triage-fix-host', 'vectra-triage-note-host']);
    const v3 = (await offers('v3', 'ip', SCENARIO.workstation.ip)).data;
    const assign = find(v3, 'vectra-triage-assign-host');
    const created = await run('v3', assign);
    expect([...brain.state.assignments.values()][0]).toMatchObject({
      host_id: seeded.workstationId,
      assigned_to: { id: 2 },
    });
    expect(created.elements).toHaveLength(1);
    await expect(run('v2.5', assign)).rejects.toMatchObject({ code: 'invalid argument' });
  });

  it('v3.5 closes detections (PATCH /api/v3.5/detections/close) as remediated or benign', async () => {
    const v35 = { vectra_api_version: 'v3.5' };
    const { data } = await offers('v3', 'ip', SCENARIO.workstation.ip, v35);
    expect(data.some((a) => a.id === 'vectra-triage-fix-host')).toBe(false);
    const benign = find(data, 'vectra-triage-close-host', ['reason', 'benign']);
    find(data, 'vectra-triage-close-host', ['reason', 'remediated']);
    expect(await run('v3', benign, v35)).toEqual({ elements: [`detection:${seeded.c2DetectionId}`] });
    expect(brain.state.detections.get(seeded.c2DetectionId)).toMatchObject({
      state: 'closed',
      close_reason: 'benign',
    });
    const close = apiCalls(brain).filter((r) => r.method === 'PATCH');
    expect(close.map((r) => r.path)).toEqual(['/api/v3.5/detections/close']);
    // Reads stay on v3.4.
    expect(
      apiCalls(brain)
        .filter((r) => r.method === 'GET')
        .every((r) => r.path.startsWith('/api/v3.4/')),
    ).toBe(true);
    expect(await run('v3', benign, v35)).toEqual({ elements: [], unchanged: true });
  });

  it('v3.0\u20133.4 gets mark-as-fixed: a close trigger is refused there', async () => {
    const close: RespondAction = {
      id: 'vectra-triage-close-host',
      title: '',
      description: '',
      categories: [],
      'query-params': {
        observable_type: 'ip',
        observable_value: SCENARIO.workstation.ip,
        host_id: String(seeded.workstationId),
        reason: 'remediated',
      },
    };
    await expect(run('v3', close)).rejects.toMatchObject({
      code: 'invalid argument',
      message: expect.stringContaining('v3.5'),
    });
    expect(detectionState(seeded.c2DetectionId)).toBe('active');
  });
});
