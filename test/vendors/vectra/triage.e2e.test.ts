/**
 * Triage through the Lambda handler: the Vectra vendor owns `vectra-triage-*`
 * (the VAR vendor does not claim them), and every trigger, a repeat
 * included, leaves one audit record naming what it touched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO } from '../../../src/sandbox/vectra-brain/index.js';
import { type E2E, startE2E } from '../../helpers/e2e.js';

let e: E2E;
beforeAll(async () => {
  e = await startE2E();
});
afterAll(() => e.close());

interface Action {
  id: string;
  'query-params': Record<string, string>;
}

const audits = () =>
  e.logs
    .filter((l) => l.includes('"audit"'))
    .map((l) => JSON.parse(l) as { audit?: Record<string, unknown> } & Record<string, unknown>);

describe('triage through the relay', () => {
  it('marks detections fixed and audits the trigger and its repeat', async () => {
    const offered = (await e.call('/respond/observables', [{ type: 'ip', value: SCENARIO.workstation.ip }]))
      .json as { data: Action[] };
    const fix = offered.data.find((a) => a.id === 'vectra-triage-fix-host');
    expect(fix).toBeDefined();
    const body = { 'action-id': fix?.id, ...fix?.['query-params'] };
    const before = audits().length;
    expect((await e.call('/respond/trigger', body)).json).toEqual({ data: { status: 'success' } });
    expect((await e.call('/respond/trigger', body)).json).toEqual({ data: { status: 'success' } });
    const records = audits().slice(before);
    expect(records).toHaveLength(2);
    const [first, second] = records.map((r) => JSON.stringify(r));
    expect(first).toContain('"action":"vectra-triage-fix-host"');
    expect(first).toContain(`"elements":["detection:${e.seeded.c2DetectionId}"]`);
    expect(first).toContain('"outcome":"success"');
    expect(second).toContain('"outcome":"unchanged"');
    expect(e.brain.state.detections.get(e.seeded.c2DetectionId)?.state).toBe('fixed');
  });

  it('audits a refused triage trigger as a failure', async () => {
    const before = audits().length;
    const res = (
      await e.call('/respond/trigger', {
        'action-id': 'vectra-triage-note-host',
        observable_type: 'ip',
        observable_value: SCENARIO.workstation.ip,
        host_id: 'not-an-id',
      })
    ).json as { data: { status: string } };
    expect(res.data.status).toBe('failure');
    const last = JSON.stringify(audits().slice(before));
    expect(last).toContain('"action":"vectra-triage-note-host"');
    expect(last).toContain('"outcome":"failure"');
  });
});
