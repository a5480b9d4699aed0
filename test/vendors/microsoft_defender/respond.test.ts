/**
 * The Defender relay's respond actions end to end: the vendor module over the
 * real Vectra client (fake brain with the sandbox scenario) and the real
 * Defender client (fake tenant holding the scenario's workstation).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RelayConfig } from '../../../src/kernel/config.js';
import type { RespondAction } from '../../../src/kernel/ctim.js';
import { RelayError } from '../../../src/kernel/errors.js';
import type { Observable } from '../../../src/kernel/observables.js';
import {
  type FakeDefender,
  makeMachine,
  startFakeDefender,
} from '../../../src/sandbox/microsoft_defender/index.js';
import type { FakeMachine } from '../../../src/sandbox/microsoft_defender/model.js';
import {
  type FakeBrain,
  SCENARIO,
  type SeededScenario,
  seedSandboxScenario,
  startFakeBrain,
} from '../../../src/sandbox/vectra-brain/index.js';
import { blockClients } from '../../../src/vendors/block-clients.js';
import {
  type DefenderVendorConfig,
  microsoftDefenderVendor as vendor,
} from '../../../src/vendors/microsoft_defender/respond.js';
import { relayHosts } from '../../../src/vendors/vectra/var-port.js';
import { makeContext } from '../../helpers/context.js';
import { claimsFor } from './harness.js';

let brain: FakeBrain;
let seeded: SeededScenario;
let fake: FakeDefender;
let wks: FakeMachine;

beforeAll(async () => {
  brain = await startFakeBrain();
  seeded = seedSandboxScenario(brain);
});
afterAll(() => brain.close());
afterEach(async () => {
  await (fake as FakeDefender | undefined)?.close();
});

async function setup(): Promise<{ cfg: DefenderVendorConfig; ctx: ReturnType<typeof makeContext> }> {
  fake = await startFakeDefender({ jobMs: 600_000 });
  wks = fake.store.add(
    makeMachine({
      computerDnsName: `${SCENARIO.workstation.name}.corp.example.com`,
      lastIpAddress: SCENARIO.workstation.ip,
    }),
  );
  const claims = {
    ...claimsFor(fake),
    vectra_url: brain.url,
    vectra_api_version: 'v2.5',
    vectra_token: brain.apiToken,
  };
  // Vectra's hosts come through the runtime's port on the context, as in production.
  const base = makeContext({ claims });
  const hosts = relayHosts(base);
  const ctx = hosts ? { ...base, hosts } : base;
  const cfg = vendor.configure(claims, ctx.config as RelayConfig);
  if (!cfg) throw new Error('not configured');
  return { cfg, ctx };
}

const titles = (a: readonly RespondAction[]) => a.map((x) => x.title);
const obs = (type: string, value: string): Observable => ({ type, value });

describe('Microsoft Defender respond actions', () => {
  it('is the declaration vendor, enabled only when block_clients lists microsoft_defender', () => {
    expect(blockClients.microsoft_defender.vendor).toBe(vendor);
    expect(vendor.configure({ block_clients: 'aws_nacl' }, makeContext().config)).toBeUndefined();
  });

  it('offers machine actions on the one Defender machine of the Vectra host, and indicators for a public IP', async () => {
    const { cfg, ctx } = await setup();
    const host = await vendor.respond?.(cfg, [obs('ip', SCENARIO.workstation.ip)], ctx);
    const name = `${SCENARIO.workstation.name}.corp.example.com (Vectra host ${SCENARIO.workstation.name})`;
    expect(titles(host?.data ?? [])).toEqual([
      `Run antivirus scan on ${name}`,
      `Restrict app execution on ${name}`,
      `Collect investigation package from ${name}`,
    ]);
    expect(host?.data[0]?.['query-params']).toEqual({
      observable_type: 'ip',
      observable_value: SCENARIO.workstation.ip,
      host_id: String(seeded.workstationId),
      machine_id: wks.id,
    });
    const c2 = await vendor.respond?.(cfg, [obs('ip', SCENARIO.c2Ip), obs('domain', SCENARIO.c2Domain)], ctx);
    expect(c2?.errors).toEqual([]);
    expect(titles(c2?.data ?? [])).toEqual([
      `Block ${SCENARIO.c2Ip} with a Microsoft Defender indicator`,
      `Allow ${SCENARIO.c2Ip} with a Microsoft Defender indicator`,
      `Block ${SCENARIO.c2Domain} with a Microsoft Defender indicator`,
      `Allow ${SCENARIO.c2Domain} with a Microsoft Defender indicator`,
    ]);
  });

  it("answers a spent Defender budget as a warning, so the respond answer's other actions stand", async () => {
    const { cfg, ctx } = await setup();
    fake.inject(429, 'TooManyRequests', { count: 50, retryAfter: 60 });
    const out = await vendor.respond?.(cfg, [obs('ip', SCENARIO.workstation.ip)], ctx);
    expect(out?.errors).toEqual([expect.objectContaining({ type: 'warning', code: 'defender-rate-limit' })]);
  });

  it('runs each machine action with a comment saying who and why, and restriction flips to its removal', async () => {
    const { cfg, ctx } = await setup();
    const { data } = (await vendor.respond?.(cfg, [obs('ip', SCENARIO.workstation.ip)], ctx)) ?? { data: [] };
    for (const a of data) {
      const r = await vendor.trigger?.(
        cfg,
        { actionId: a.id, observable: obs('ip', SCENARIO.workstation.ip), params: a['query-params'] },
        ctx,
      );
      expect(r?.elements[0]).toMatch(new RegExp(`^${wks.id}/`));
    }
    expect(fake.store.actions.map((a) => [a.type, a.scope])).toEqual([
      ['RunAntiVirusScan', 'Quick'],
      ['RestrictCodeExecution', null],
      ['CollectInvestigationPackage', null],
    ]);
    expect(fake.store.actions[0]?.requestorComment).toMatch(
      /^vectra-relay-runAntiVirusScan: Vectra host wks-fin-042 \(id \d+, threat 88, certainty 91\), requested by /,
    );
    fake.settle();
    const after = await vendor.respond?.(cfg, [obs('ip', SCENARIO.workstation.ip)], ctx);
    expect(titles(after?.data ?? [])[1]).toMatch(/^Remove app execution restriction on/);
  });

  it('a scan already running is success without a second request', async () => {
    const { cfg, ctx } = await setup();
    const params = { host_id: String(seeded.workstationId), machine_id: wks.id };
    const req = {
      actionId: 'microsoft_defender-scan',
      observable: obs('ip', SCENARIO.workstation.ip),
      params,
    };
    await vendor.trigger?.(cfg, req, ctx);
    expect(await vendor.trigger?.(cfg, req, ctx)).toMatchObject({ unchanged: true });
    expect(fake.store.actions).toHaveLength(1);
  });

  it('refuses a machine action when the machine matching the host changed since respond', async () => {
    const { cfg, ctx } = await setup();
    const params = { host_id: String(seeded.workstationId), machine_id: 'f'.repeat(40) };
    const err = await vendor
      .trigger?.(
        cfg,
        { actionId: 'microsoft_defender-collect', observable: obs('ip', SCENARIO.workstation.ip), params },
        ctx,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('state conflict');
    expect(fake.store.actions).toEqual([]);
  });

  it('blocks, switches to allow and removes an indicator; each step idempotent', async () => {
    const { cfg, ctx } = await setup();
    const o = obs('sha256', 'a'.repeat(64));
    const run = (verb: string) =>
      vendor.trigger?.(
        cfg,
        { actionId: `microsoft_defender-indicator-${verb}`, observable: o, params: {} },
        ctx,
      );
    expect(await run('block')).toMatchObject({ unchanged: false });
    expect([...fake.store.indicators.values()].map((i) => [i.indicatorType, i.action])).toEqual([
      ['FileSha256', 'BlockAndRemediate'],
    ]);
    expect(await run('block')).toMatchObject({ unchanged: true });
    expect(titles((await vendor.respond?.(cfg, [o], ctx))?.data ?? [])).toEqual([
      `Allow ${o.value} with a Microsoft Defender indicator`,
      `Remove the Microsoft Defender indicator for ${o.value}`,
    ]);
    await run('allow');
    expect([...fake.store.indicators.values()].map((i) => i.action)).toEqual(['Allowed']);
    expect(await run('remove')).toMatchObject({ unchanged: false });
    expect(fake.store.indicators.size).toBe(0);
    expect(await run('remove')).toMatchObject({ unchanged: true });
  });

  it.each([
    ['ip', '10.20.30.42', /single external addresses/],
    ['ip', '198.51.100.0/24', /single external addresses/],
    ['ipv6', 'fe80::1', /single external addresses/],
    ['ipv6', '::ffff:203.0.113.66', /single external addresses/],
    ['sha1', 'xyz', /not a sha1 hash/],
  ])('refuses an indicator for %s %s, and offers none', async (type, value, why) => {
    const { cfg, ctx } = await setup();
    const err = await vendor
      .trigger?.(
        cfg,
        { actionId: 'microsoft_defender-indicator-block', observable: obs(type, value), params: {} },
        ctx,
      )
      .catch((e: unknown) => e);
    expect((err as RelayError).code).toBe('invalid argument');
    expect((err as RelayError).message).toMatch(why);
    const offered = (await vendor.respond?.(cfg, [obs(type, value)], ctx))?.data ?? [];
    expect(offered.filter((a) => a.id.includes('indicator'))).toEqual([]);
  });

  it("never overwrites or removes someone else's indicator", async () => {
    const { cfg, ctx } = await setup();
    fake.store.submitIndicator(
      {
        indicatorValue: SCENARIO.c2Domain,
        indicatorType: 'DomainName',
        action: 'Audit',
        title: 'SOC watch',
        description: 'x',
      },
      'soc',
    );
    const out = await vendor.respond?.(cfg, [obs('domain', SCENARIO.c2Domain)], ctx);
    expect(out?.data).toEqual([]);
    expect(JSON.stringify(out?.errors)).toMatch(/did not create/);
    const err = await vendor
      .trigger?.(
        cfg,
        {
          actionId: 'microsoft_defender-indicator-block',
          observable: obs('domain', SCENARIO.c2Domain),
          params: {},
        },
        ctx,
      )
      .catch((e: unknown) => e);
    expect((err as RelayError).code).toBe('state conflict');
    expect(
      await vendor.trigger?.(
        cfg,
        {
          actionId: 'microsoft_defender-indicator-remove',
          observable: obs('domain', SCENARIO.c2Domain),
          params: {},
        },
        ctx,
      ),
    ).toMatchObject({ unchanged: true });
    expect([...fake.store.indicators.values()].map((i) => i.action)).toEqual(['Audit']);
  });

  it('refuses a new indicator once the tenant holds 15,000', async () => {
    const { cfg, ctx } = await setup();
    for (let i = 0; i < 15_000; i++) {
      fake.store.indicators.set(`x${i}`, {
        id: `x${i}`,
        indicatorValue: `h${i}.example.org`,
        indicatorType: 'DomainName',
        action: 'Audit',
        title: 't',
        description: 'd',
        severity: null,
        generateAlert: false,
        createdBy: 'soc',
      });
    }
    const err = await vendor
      .trigger?.(
        cfg,
        {
          actionId: 'microsoft_defender-indicator-block',
          observable: obs('url', 'https://evil.example.net/x'),
          params: {},
        },
        ctx,
      )
      .catch((e: unknown) => e);
    expect((err as RelayError).code).toBe('state conflict');
    expect((err as RelayError).message).toMatch(/15000 indicators/);
  });
});
