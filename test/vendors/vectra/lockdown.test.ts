/**
 * Vectra's own lockdown (v2.5 `/lockdown/account`, v3.3+ `/lockdown?type=`):
 * shown on observe's host/account sightings, and holding back relay blocks in
 * respond (no block offered, a warning says why) and in trigger (refused).
 */
import { describe, expect, it } from 'vitest';
import type { Claims } from '../../../src/kernel/context.js';
import type { CtimEntity } from '../../../src/kernel/ctim.js';
import type { TriggerRequest } from '../../../src/kernel/vendor.js';
import {
  type FakeBrain,
  SCENARIO,
  type SeededScenario,
  seedSandboxScenario,
} from '../../../src/sandbox/vectra-brain/index.js';
import { parseVarConfig } from '../../../src/vendors/var/config.js';
import { varVendor } from '../../../src/vendors/var/index.js';
import { vectraVendor } from '../../../src/vendors/vectra/index.js';
import { apiCalls, claimsFor, configFor, ctxFor, type Flavour, useFreshBrain } from './helpers.js';

let brain: FakeBrain;
let seeded: SeededScenario;
useFreshBrain((b) => {
  brain = b;
  seeded = seedSandboxScenario(b);
});

const future = new Date(Date.now() + 3_600_000).toISOString();
const past = new Date(Date.now() - 3_600_000).toISOString();

function lock(type: 'host' | 'account', id: number, unlock = future) {
  brain.state.lockdowns.push({
    id: brain.state.lockdowns.length + 1,
    type,
    entity_id: id,
    entity_name: 'x',
    lock_event_timestamp: '2026-11-30T08:00:00Z',
    locked_by: 'soc-lead',
    unlock_event_timestamp: unlock,
    certainty: 80,
  });
}

async function observe(flavour: Flavour, type: string, value: string) {
  const fn = vectraVendor.observe;
  if (!fn) throw new Error('no observe');
  return fn(configFor(brain, flavour), [{ type, value }], ctxFor());
}

const sightingOf = (data: { sightings?: CtimEntity[] }, prefix: string) =>
  data.sightings?.find((s) => String((s.external_ids as string[])[0]).startsWith(prefix));

function varSetup(flavour: Flavour) {
  const claims = claimsFor(brain, flavour, { block_clients: 'test_client' }) as unknown as Claims;
  const ctx = ctxFor({ claims });
  const cfg = parseVarConfig(claims, ctx.config);
  if (!cfg) throw new Error('not configured');
  return { cfg, ctx };
}

describe.each(['v2.5', 'v3'] as Flavour[])('lockdown on %s', (flavour) => {
  it('says on the account sighting that Vectra holds the account in lockdown', async () => {
    lock('account', seeded.accountId);
    const { data, errors } = await observe(flavour, 'user', SCENARIO.account);
    expect(errors).toEqual([]);
    expect(sightingOf(data, 'vectra-account-')?.description).toContain(
      `Vectra holds the account ${SCENARIO.account} in lockdown by soc-lead since 2026-11-30T08:00:00Z until ${future}.`,
    );
    const paths = apiCalls(brain, '/lockdown').map((r) => `${r.path}?${new URLSearchParams(r.query)}`);
    expect(paths).toEqual(
      flavour === 'v3' ? ['/api/v3.4/lockdown?type=account'] : ['/api/v2.5/lockdown/account?'],
    );
  });

  it('ignores a lockdown whose unlock time has passed', async () => {
    lock('account', seeded.accountId, past);
    const { data } = await observe(flavour, 'user', SCENARIO.account);
    expect(sightingOf(data, 'vectra-account-')?.description).not.toContain('lockdown');
  });

  it('offers no relay block of a locked account, says why, and refuses the trigger', async () => {
    lock('account', seeded.accountId);
    const { cfg, ctx } = varSetup(flavour);
    const respond = varVendor.respond;
    const trigger = varVendor.trigger;
    if (!respond || !trigger) throw new Error('no respond');
    const { data, errors } = await respond(cfg, [{ type: 'user', value: SCENARIO.account }], ctx);
    expect(data.map((a) => a.id)).toEqual([]);
    expect(errors).toEqual([
      expect.objectContaining({
        type: 'warning',
        code: 'vectra-lockdown',
        message: expect.stringContaining('No relay block is offered while it holds'),
      }),
    ]);
    const req: TriggerRequest = {
      actionId: 'vectra-block-account',
      observable: { type: 'user', value: SCENARIO.account },
      params: { account_id: String(seeded.accountId), client_id: 'test_client' },
    };
    await expect(trigger(cfg, req, ctx)).rejects.toMatchObject({
      code: 'invalid argument',
      message: expect.stringContaining('in lockdown'),
    });
    expect(brain.state.accounts.get(seeded.accountId)?.tags).toEqual([]);
  });

  it('keeps the block actions with a warning when the lockdown list cannot be read', async () => {
    brain.inject({ path: '/lockdown', status: 403, times: 5 });
    const { cfg, ctx } = varSetup(flavour);
    const respond = varVendor.respond;
    if (!respond) throw new Error('no respond');
    const { data, errors } = await respond(cfg, [{ type: 'user', value: SCENARIO.account }], ctx);
    expect(data.map((a) => a.id)).toEqual(['vectra-block-account', 'vectra-tag-account']);
    expect(errors).toEqual([expect.objectContaining({ type: 'warning', code: 'vectra-lockdown-unknown' })]);
  });
});

describe('lockdown of hosts', () => {
  it('v3 shows a host lockdown on the host sighting and holds back the block', async () => {
    lock('host', seeded.workstationId);
    const { data } = await observe('v3', 'ip', SCENARIO.workstation.ip);
    expect(sightingOf(data, 'vectra-host-')?.description).toContain(
      `Vectra holds the host ${SCENARIO.workstation.name} in lockdown`,
    );
    const { cfg, ctx } = varSetup('v3');
    const respond = varVendor.respond;
    if (!respond) throw new Error('no respond');
    const offered = await respond(cfg, [{ type: 'ip', value: SCENARIO.workstation.ip }], ctx);
    expect(offered.data.some((a) => a.id === 'vectra-block-host')).toBe(false);
  });

  it('v2.5 reads no host lockdown path (none is documented)', async () => {
    lock('host', seeded.workstationId);
    const { data } = await observe('v2.5', 'ip', SCENARIO.workstation.ip);
    expect(sightingOf(data, 'vectra-host-')?.description).not.toContain('lockdown');
    expect(apiCalls(brain, '/lockdown/host')).toEqual([]);
  });
});
