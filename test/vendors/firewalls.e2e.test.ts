/**
 * The three firewall clients of issue 18 through the real Lambda handler, the
 * VAR core and the fake brain: a host block via `/respond/trigger` records the
 * element in Vectra tags and changes the fake firewall; the unblock restores
 * the firewall's state; no credential reaches a log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningFake } from '../../src/sandbox/fake.js';
import { fakes } from '../../src/sandbox/fakes.js';
import { SCENARIO } from '../../src/sandbox/vectra-brain/index.js';
import { type E2E, startE2E } from '../helpers/e2e.js';

const CLIENTS = [
  { module: 'pan', name: 'PAN Client', id: `vectra-relay-block-host:${SCENARIO.workstation.ip}` },
  { module: 'cisco_fmc', name: 'FMC Client', id: `vectra-relay-block-hosts:${SCENARIO.workstation.ip}` },
  { module: 'cisco_asa_http', name: 'ASA HTTP Client', id: `vectra-relay-${SCENARIO.workstation.ip}` },
] as const;

let e: E2E;
const running = new Map<string, RunningFake>();
let claims: Record<string, string>;
beforeAll(async () => {
  e = await startE2E();
  for (const c of CLIENTS) running.set(c.module, await fakes[c.module].start());
  claims = {
    ...e.claims,
    block_clients: `aws_nacl,test_client,${CLIENTS.map((c) => c.module).join(',')}`,
    ...Object.assign({}, ...[...running.values()].map((f) => f.claims)),
  };
});
afterAll(async () => {
  await Promise.all([...running.values()].map((f) => f.close()));
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
  ).json as { data: { status: string }; errors?: unknown[] };

describe.each(CLIENTS)('$module through the relay', (c) => {
  it('blocks the workstation, records the element, and the unblock restores the firewall', async () => {
    const fake = running.get(c.module) as RunningFake;
    const before = JSON.stringify(fake.snapshot());
    expect(await trigger('block', c.module)).toEqual({ data: { status: 'success' } });
    expect(tagsOf(e.seeded.workstationId)).toContain(`VAR ID:${c.name}:${c.id}`);
    expect(JSON.stringify(fake.snapshot())).not.toBe(before);
    expect(await trigger('unblock', c.module)).toEqual({ data: { status: 'success' } });
    expect(tagsOf(e.seeded.workstationId)).not.toContain(`VAR ID:${c.name}:${c.id}`);
    // FMC keeps its (now empty) dynamic object; PAN and the ASA are back where they were.
    if (c.module !== 'cisco_fmc') expect(JSON.stringify(fake.snapshot())).toBe(before);
    const secrets = Object.entries(fake.claims)
      .filter(([k]) => /password|api_key/.test(k))
      .map(([, v]) => v);
    for (const s of secrets) expect(e.logs.join('')).not.toContain(s);
  });
});

describe('cisco_fmc legacy mode through the relay', () => {
  it('records a pending block, confirms it after the deployment, and unblocks', async () => {
    const fmc = running.get('cisco_fmc') as RunningFake;
    const legacyClaims = {
      ...claims,
      cisco_fmc_mode: 'legacy',
      cisco_fmc_network_group: 'Vectra-Block',
      cisco_fmc_devices: 'ftd-1',
    };
    const call = (verb: 'block' | 'unblock') =>
      e.call(
        '/respond/trigger',
        {
          'action-id': `vectra-${verb}-host`,
          observable_type: 'ip',
          observable_value: SCENARIO.workstation.ip,
          host_id: String(e.seeded.workstationId),
          client_id: 'cisco_fmc',
        },
        legacyClaims,
      );
    const id = `vectra-relay-${SCENARIO.workstation.ip}`;
    await call('block');
    expect(tagsOf(e.seeded.workstationId).some((t) => t.startsWith(`VAR Pending:FMC Client:${id}@`))).toBe(
      true,
    );
    expect(tagsOf(e.seeded.workstationId)).not.toContain(`VAR ID:FMC Client:${id}`);
    fmc.settle?.();
    await call('block'); // "Check pending block"
    expect(tagsOf(e.seeded.workstationId)).toContain(`VAR ID:FMC Client:${id}`);
    expect(tagsOf(e.seeded.workstationId).some((t) => t.startsWith('VAR Pending:FMC Client:'))).toBe(false);
    await call('unblock');
    expect(tagsOf(e.seeded.workstationId).some((t) => t.includes('FMC Client'))).toBe(false);
  });
});
