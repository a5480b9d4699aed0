import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import { RelayError } from '../../../src/kernel/errors.js';
import { type FakeFmc, startFakeFmc } from '../../../src/sandbox/cisco_fmc/index.js';
import { configureClient, createBlockClient } from '../../../src/vendors/block-clients.js';
import { resetFmcState } from '../../../src/vendors/cisco_fmc/auth.js';
import { forgetFmcObjects } from '../../../src/vendors/cisco_fmc/client.js';
import { makeContext } from '../../helpers/context.js';
import { makeHost } from '../../helpers/objects.js';

const NAME = 'FMC Client';
const GROUP = 'Vectra-Block';
let fake: FakeFmc | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  resetFmcState();
  forgetFmcObjects();
});

async function setup() {
  fake = await startFakeFmc({ jobMs: 60_000 });
  const client = createBlockClient(
    'cisco_fmc',
    makeContext({
      claims: {
        cisco_fmc_url: fake.url,
        cisco_fmc_username: fake.username,
        cisco_fmc_password: fake.password,
        cisco_fmc_mode: 'legacy',
        cisco_fmc_network_group: GROUP,
        cisco_fmc_devices: 'ftd-1',
      },
    }),
  );
  return { fake, client };
}

async function failure(p: Promise<unknown>): Promise<RelayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
}

const enforced = (f: FakeFmc, device = 'ftd-1') =>
  f.legacy.devices.find((d) => d.name === device)?.enforced[GROUP];
const deployments = (f: FakeFmc) => f.calls.filter((c) => c.path.includes('deploymentrequests')).length;

describe('cisco_fmc legacy mode (host objects, network group, deployment)', () => {
  it('answers pending until the deployment task succeeds, then confirms the element', async () => {
    const { fake, client } = await setup();
    const answer = await client.blockHost(makeHost({ ip: '10.0.0.1' }));
    expect(answer.inForce).toEqual([]);
    expect(answer.pending).toHaveLength(1);
    const pendingId = answer.pending[0]?.id as string;
    expect(pendingId).toMatch(/^vectra-relay-10\.0\.0\.1@/);
    expect(fake.legacy.members()[GROUP]).toEqual(['192.0.2.10', 'vectra-relay-10.0.0.1']);
    expect(enforced(fake)).toEqual(['192.0.2.10']);

    const host = makeHost({ ip: '10.0.0.1', pendingElements: { [NAME]: [pendingId] } });
    expect(await client.confirm?.(host, [pendingId])).toMatchObject({ inForce: [], failed: [] });
    fake.settle();
    expect(await client.confirm?.(host, [pendingId])).toEqual({
      inForce: ['vectra-relay-10.0.0.1'],
      pending: [],
      failed: [],
    });
    expect(enforced(fake)).toEqual(['192.0.2.10', 'vectra-relay-10.0.0.1']);
    expect(enforced(fake, 'ftd-2')).toEqual(['192.0.2.10']); // not listed: never deployed
  });

  it('a block of what is pending answers the same ids and deploys nothing more', async () => {
    const { fake, client } = await setup();
    const first = await client.blockHost(makeHost({ ip: '10.0.0.2' }));
    const ids = first.pending.map((p) => p.id);
    const again = await client.blockHost(makeHost({ ip: '10.0.0.2', pendingElements: { [NAME]: ids } }));
    expect(again.pending.map((p) => p.id)).toEqual(ids);
    expect(deployments(fake)).toBe(1);
  });

  it('a block of what is deployed is in force at once', async () => {
    const { fake, client } = await setup();
    await client.blockHost(makeHost({ ip: '10.0.0.3' }));
    fake.settle();
    expect(await client.blockHost(makeHost({ ip: '10.0.0.3' }))).toEqual({
      inForce: ['vectra-relay-10.0.0.3'],
      pending: [],
    });
    expect(deployments(fake)).toBe(1);
  });

  it('a failed deployment is confirmed as failed', async () => {
    const { fake, client } = await setup();
    fake.legacy.failNextDeployment();
    const { pending } = await client.blockHost(makeHost({ ip: '10.0.0.4' }));
    fake.settle();
    const ids = pending.map((p) => p.id);
    const answer = await client.confirm?.(makeHost({ pendingElements: { [NAME]: ids } }), ids);
    expect(answer?.failed.map((f) => f.id)).toEqual(ids);
  });

  it('a deployment already running is a state conflict, and the next block completes the job', async () => {
    const { fake, client } = await setup();
    await client.blockHost(makeHost({ ip: '10.0.0.5' }));
    const err = await failure(client.blockHost(makeHost({ ip: '10.0.0.6' })));
    expect(err.code).toBe('state conflict');
    fake.settle();
    const answer = await client.blockHost(makeHost({ ip: '10.0.0.6' }));
    expect(answer.pending).toHaveLength(1);
  });

  it('unblock removes our member and host object, keeps the rest, and deploys', async () => {
    const { fake, client } = await setup();
    const { pending } = await client.blockHost(makeHost({ ip: '10.0.0.7' }));
    fake.settle();
    const ids = pending.map((p) => p.id);
    expect(await client.unblockHost(makeHost({ pendingElements: { [NAME]: ids } }))).toEqual(ids);
    expect(fake.legacy.members()[GROUP]).toEqual(['192.0.2.10']);
    expect([...fake.legacy.hosts.values()].map((h) => h.name)).toEqual([]);
    fake.settle();
    expect(enforced(fake)).toEqual(['192.0.2.10']);
  });

  it('keeps FMC from emptying the group with our placeholder', async () => {
    const { fake, client } = await setup();
    const { pending } = await client.blockHost(makeHost({ ip: '10.0.0.8' }));
    fake.settle();
    for (const g of fake.legacy.groups.values()) g.literals = [];
    await client.unblockHost(makeHost({ pendingElements: { [NAME]: pending.map((p) => p.id) } }));
    expect(fake.legacy.members()[GROUP]).toEqual(['vectra-relay-placeholder']);
  });

  it('refuses static lists, which cannot wait for a deployment', async () => {
    const { client } = await setup();
    expect((await failure(client.blockStaticDstIps({ dstIps: ['203.0.113.1'] } as never))).code).toBe(
      'invalid argument',
    );
  });

  it('needs the group and the devices', () => {
    const claims = {
      cisco_fmc_url: 'https://fmc.example',
      cisco_fmc_username: 'u',
      cisco_fmc_password: 'p',
      cisco_fmc_mode: 'legacy',
    };
    expect(() => configureClient('cisco_fmc', claims, makeConfig())).toThrow(/cisco_fmc_network_group/);
  });
});
