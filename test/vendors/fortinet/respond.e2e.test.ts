/**
 * Both Fortinet clients through the real Lambda handler and the VAR core:
 * `/respond/trigger` against the fake brain, a fake FortiGate and a fake
 * FortiManager. FortiGate blocks are recorded in force; FortiManager blocks
 * are recorded pending until the install task succeeds, and the next
 * trigger confirms them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeFortiManager, startFakeFortiManager } from '../../../src/sandbox/fortimanager/index.js';
import { type FakeFortiGate, SEED, startFakeFortiGate } from '../../../src/sandbox/fortinet/index.js';
import { SCENARIO } from '../../../src/sandbox/vectra-brain/index.js';
import { type E2E, startE2E } from '../../helpers/e2e.js';

let e: E2E;
let fgt: FakeFortiGate;
let fmg: FakeFortiManager;
let claims: Record<string, string>;
beforeAll(async () => {
  e = await startE2E();
  fgt = await startFakeFortiGate();
  fmg = await startFakeFortiManager({ jobMs: 60_000 });
  claims = {
    ...e.claims,
    block_clients: 'fortinet,fortimanager',
    fortinet_url: fgt.url,
    fortinet_api_key: fgt.apiKey,
    fortimanager_url: fmg.url,
    fortimanager_api_key: fmg.apiKey,
    fortimanager_package: 'vectra_policy',
  };
});
afterAll(async () => {
  await Promise.all([fgt.close(), fmg.close()]);
  await e.close();
});

const tagsOf = (id: number) => [...((e.brain.state.hosts.get(id)?.tags as string[]) ?? [])];
const trigger = async (verb: 'block' | 'unblock', client: string) =>
  (
    await e.call(
      '/respond/trigger',
      {
        'action-id': `vectra-${verb}-host`,
        observable_type: 'ip',
        observable_value: SCENARIO.workstation.ip,
        host_id: String(e.seeded.workstationId),
        client_id: client,
      },
      claims,
    )
  ).json as { data?: { status: string }; errors?: { code: string; message: string }[] };
const fortiMembers = () =>
  ((fgt.state.get('root', 'addrgrp', SEED.srcGroup).member as Array<{ name: string }>) ?? []).map(
    (m) => m.name,
  );

describe('Fortinet clients through /respond/trigger', () => {
  it('FortiGate: block records the element in force, unblock removes it and the member', async () => {
    const id = `${new URL(fgt.url).host}/root/src/${SCENARIO.workstation.ip}`;
    expect(await trigger('block', 'fortinet')).toEqual({ data: { status: 'success' } });
    expect(tagsOf(e.seeded.workstationId)).toContain(`VAR ID:Fortinet Client:${id}`);
    expect(fortiMembers()).toContain(`vectra-relay-${SCENARIO.workstation.ip}`);
    expect(await trigger('unblock', 'fortinet')).toEqual({ data: { status: 'success' } });
    expect(tagsOf(e.seeded.workstationId).some((t) => t.startsWith('VAR ID:Fortinet Client:'))).toBe(false);
    expect(fortiMembers()).not.toContain(`vectra-relay-${SCENARIO.workstation.ip}`);
  });

  it('FortiManager: block is recorded pending, the next trigger after the install confirms it', async () => {
    const first = await trigger('block', 'fortimanager');
    expect(first.errors).toEqual([
      expect.objectContaining({
        type: 'warning',
        code: 'pending',
        message: expect.stringContaining('install task'),
      }),
    ]);
    const pending = tagsOf(e.seeded.workstationId).filter((t) => t.startsWith('VAR Pending:FMG Client:'));
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatch(
      new RegExp(`root/src/${SCENARIO.workstation.ip.replaceAll('.', '\\.')}#\\d+\\+$`),
    );
    expect(tagsOf(e.seeded.workstationId)).not.toContain(
      `VAR ID:FMG Client:root/src/${SCENARIO.workstation.ip}`,
    );
    fmg.settle();
    expect(await trigger('block', 'fortimanager')).toEqual({ data: { status: 'success' } });
    const tags = tagsOf(e.seeded.workstationId);
    expect(tags).toContain(`VAR ID:FMG Client:root/src/${SCENARIO.workstation.ip}`);
    expect(tags.some((t) => t.startsWith('VAR Pending:FMG Client:'))).toBe(false);
    expect(fmg.sessions.size).toBe(0);
  });
});
