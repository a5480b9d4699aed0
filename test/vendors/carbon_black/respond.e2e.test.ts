import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carbonBlackFake } from '../../../src/sandbox/carbon_black/index.js';
import type { RunningFake } from '../../../src/sandbox/fake.js';
import { SCENARIO } from '../../../src/sandbox/vectra-brain/index.js';
import { type E2E, startE2E } from '../../helpers/e2e.js';

let e: E2E;
let cb: RunningFake;
let claims: Record<string, string>;
beforeAll(async () => {
  e = await startE2E();
  cb = await carbonBlackFake.start({ hosts: [SCENARIO.workstation], jobMs: 60_000 });
  claims = { ...e.claims, block_clients: 'carbon_black', ...cb.claims };
});
afterAll(async () => {
  await cb.close();
  await e.close();
});

const tagsOf = (id: number) => [...((e.brain.state.hosts.get(id)?.tags as string[]) ?? [])];
const trigger = async (verb: 'block' | 'unblock') =>
  (
    await e.call(
      '/respond/trigger',
      {
        'action-id': `vectra-${verb}-host`,
        observable_type: 'ip',
        observable_value: SCENARIO.workstation.ip,
        host_id: String(e.seeded.workstationId),
        client_id: 'carbon_black',
      },
      claims,
    )
  ).json;

describe('Carbon Black quarantine through the Lambda handler, the fake brain and the fake Carbon Black', () => {
  it('records the quarantine as pending, confirms it once the device reads quarantined, and lifts it', async () => {
    const before = tagsOf(e.seeded.workstationId);
    const first = await trigger('block');
    expect(JSON.stringify(first)).toContain('success');
    expect(tagsOf(e.seeded.workstationId)).toContain('VAR Pending:Carbon Black:device-1001');
    expect(tagsOf(e.seeded.workstationId)).not.toContain('VAR Host Blocked');

    cb.settle?.();
    await trigger('block'); // the next trigger confirms what is pending
    const tags = tagsOf(e.seeded.workstationId);
    expect(tags).toContain('VAR ID:Carbon Black:device-1001');
    expect(tags).toContain('VAR Host Blocked');
    expect(tags.some((t) => t.startsWith('VAR Pending:'))).toBe(false);

    expect(JSON.stringify(await trigger('unblock'))).toContain('success');
    cb.settle?.();
    expect((cb.snapshot() as { devices: { id: number; quarantined: boolean }[] }).devices[0]).toMatchObject({
      id: 1001,
      quarantined: false,
    });
    expect(tagsOf(e.seeded.workstationId)).toEqual(before);
  });

  it('offers the block action for the workstation', async () => {
    const res = (
      await e.call('/respond/observables', [{ type: 'ip', value: SCENARIO.workstation.ip }], claims)
    ).json as { data: { title: string }[] };
    expect(res.data.map((a) => a.title)).toContain(
      `Block host ${SCENARIO.workstation.name} via Carbon Black`,
    );
  });
});
