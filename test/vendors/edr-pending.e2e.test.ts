/**
 * The EDR clients through the whole relay (Lambda handler, VAR core, real
 * clients) against the fake brain and each EDR's registered fake: a block is
 * recorded as pending, confirmed by the next trigger once the EDR job is done,
 * and unblocked; a pending block can be cancelled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningFake } from '../../src/sandbox/fake.js';
import { fakes } from '../../src/sandbox/fakes.js';
import { SCENARIO } from '../../src/sandbox/vectra-brain/index.js';
import { type E2E, startE2E } from '../helpers/e2e.js';

let e: E2E;
const edr: Record<string, RunningFake> = {};
beforeAll(async () => {
  e = await startE2E();
  for (const m of ['microsoft_defender', 'crowdstrike'] as const) {
    edr[m] = await fakes[m].start({ hosts: [SCENARIO.workstation], jobMs: 600_000 });
  }
});
afterAll(async () => {
  for (const f of Object.values(edr)) await f.close();
  await e.close();
});

const tagsOf = () => [...((e.brain.state.hosts.get(e.seeded.workstationId)?.tags as string[]) ?? [])];

describe.each([
  ['microsoft_defender', 'Microsoft Defender'],
  ['crowdstrike', 'CrowdStrike Falcon'],
])('%s through /respond/trigger', (module, name) => {
  const claims = () => ({ ...e.claims, ...edr[module]?.claims, block_clients: module });
  const trigger = async (verb: 'block' | 'unblock') =>
    (
      await e.call(
        '/respond/trigger',
        {
          'action-id': `vectra-${verb}-host`,
          observable_type: 'ip',
          observable_value: SCENARIO.workstation.ip,
          host_id: String(e.seeded.workstationId),
          client_id: module,
        },
        claims(),
      )
    ).json as { data?: { status: string }; errors?: { message: string }[] };

  it('records pending, confirms once the EDR reports it in force, then unblocks', async () => {
    const before = tagsOf();
    const first = await trigger('block');
    expect(first.errors?.map((x) => x.message)).toEqual([
      expect.stringMatching(/^The block of host wks-fin-042 via .+ is pending: /),
    ]);
    expect(tagsOf().filter((t) => t.startsWith(`VAR Pending:${name}:`))).toHaveLength(1);
    expect(tagsOf()).not.toContain('VAR Host Blocked');
    const offered = (
      await e.call('/respond/observables', [{ type: 'ip', value: SCENARIO.workstation.ip }], claims())
    ).json as { data: { title: string }[] };
    expect(offered.data.map((a) => a.title)).toContain(
      `Check pending block of host ${SCENARIO.workstation.name} via ${name}`,
    );

    edr[module]?.settle?.();
    await trigger('block');
    expect(tagsOf()).toContain('VAR Host Blocked');
    expect(tagsOf().filter((t) => t.startsWith(`VAR ID:${name}:`))).toHaveLength(1);
    expect(tagsOf().some((t) => t.startsWith('VAR Pending:'))).toBe(false);

    const done = await trigger('unblock');
    expect(done.errors).toBeUndefined();
    expect(tagsOf()).toEqual(before);
    edr[module]?.settle?.();
  });
});

it('microsoft_defender: unblocking a pending block cancels the isolation', async () => {
  const claims = { ...e.claims, ...edr.microsoft_defender?.claims, block_clients: 'microsoft_defender' };
  const params = {
    observable_type: 'ip',
    observable_value: SCENARIO.workstation.ip,
    host_id: String(e.seeded.workstationId),
    client_id: 'microsoft_defender',
  };
  const before = tagsOf();
  await e.call('/respond/trigger', { 'action-id': 'vectra-block-host', ...params }, claims);
  expect(tagsOf().some((t) => t.startsWith('VAR Pending:Microsoft Defender:'))).toBe(true);
  await e.call('/respond/trigger', { 'action-id': 'vectra-unblock-host', ...params }, claims);
  expect(tagsOf()).toEqual(before);
  edr.microsoft_defender?.settle?.();
  const snapshot = edr.microsoft_defender?.snapshot() as { machines: { name: string; isolated: unknown }[] };
  expect(snapshot.machines.find((m) => m.name === SCENARIO.workstation.name)?.isolated).toBe(false);
});

it("microsoft_defender: the Defender relay's respond actions reach the relay and run", async () => {
  const claims = { ...e.claims, ...edr.microsoft_defender?.claims, block_clients: 'microsoft_defender' };
  const offered = (
    await e.call(
      '/respond/observables',
      [
        { type: 'ip', value: SCENARIO.workstation.ip },
        { type: 'domain', value: SCENARIO.c2Domain },
      ],
      claims,
    )
  ).json as { data: { id: string; title: string; 'query-params': Record<string, string> }[] };
  const ids = offered.data.map((a) => a.id);
  expect(ids).toEqual(
    expect.arrayContaining([
      'vectra-block-host',
      'microsoft_defender-scan',
      'microsoft_defender-restrict',
      'microsoft_defender-collect',
      'microsoft_defender-indicator-block',
      'microsoft_defender-indicator-allow',
    ]),
  );
  const block = offered.data.find((a) => a.id === 'microsoft_defender-indicator-block');
  const res = (
    await e.call('/respond/trigger', { 'action-id': block?.id, ...block?.['query-params'] }, claims)
  ).json as { data: { status: string } };
  expect(res.data.status).toBe('success');
  const snapshot = edr.microsoft_defender?.snapshot() as { indicators: { value: string; action: string }[] };
  expect(snapshot.indicators).toEqual([{ value: SCENARIO.c2Domain, action: 'Block' }]);
});
