/**
 * One contract suite over every registered block client: identity, declared
 * capabilities, configuration errors, and VAR's operations answering lists of
 * ids that round-trip through unblock. A new client gets this for free once
 * it has a line in the registry and a claims fixture below.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeConfig } from '../../src/kernel/config.js';
import { RelayError } from '../../src/kernel/errors.js';
import type { VectraHost } from '../../src/kernel/model.js';
import { type FakeEc2, startFakeEc2 } from '../../src/sandbox/ec2/index.js';
import type { RunningFake } from '../../src/sandbox/fake.js';
import { fakes } from '../../src/sandbox/fakes.js';
import {
  type BlockClientId,
  blockClients,
  configureClient,
  createBlockClient,
} from '../../src/vendors/block-clients.js';
import { makeContext } from '../helpers/context.js';
import { makeHost } from '../helpers/objects.js';

let ec2: FakeEc2;
/** Clients other than the two below run against their registered fake (`src/sandbox/fakes.ts`). */
const running = new Map<string, RunningFake>();
beforeAll(async () => {
  ec2 = await startFakeEc2();
  vi.stubEnv('AWS_ENDPOINT_URL_EC2', ec2.url);
  for (const [id, fake] of Object.entries(fakes)) {
    if (id !== 'aws_nacl' && id !== 'test_client') running.set(id, await fake.start());
  }
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await ec2.close();
  await Promise.all([...running.values()].map((f) => f.close()));
});

/** Minimal working claims per client; a client missing here fails the suite. */
const fixtures = (): Record<string, Record<string, string>> => ({
  aws_nacl: { block_clients: 'aws_nacl', aws_region: 'us-east-1', aws_nacl_ids: ec2.naclIds[0] as string },
  test_client: { block_clients: 'test_client' },
  ...Object.fromEntries([...running].map(([id, f]) => [id, { block_clients: id, ...f.claims }])),
});

const host = (over: Partial<VectraHost> = {}): VectraHost =>
  makeHost({ id: 42, name: 'wks-contract', ip: '198.51.100.42', threat: 90, certainty: 90, ...over });

describe.each(Object.entries(blockClients))('block client %s', (key, entry) => {
  const module = entry;
  const id = key as BlockClientId;
  const config = makeConfig({ allowLoopbackUpstreams: true });

  it('has a stable identity VAR can store in tags', () => {
    expect(module.module).toBe(key);
    expect(module.name).not.toContain(':');
    expect(module.name.length).toBeGreaterThan(0);
    expect(module.capabilities.length).toBeGreaterThan(0);
  });

  it('has a claims fixture in this suite', () => {
    expect(fixtures()[key]).toBeDefined();
  });

  it('configures from its fixture and creates all nine operations', () => {
    const ctx = makeContext({ claims: fixtures()[key] ?? {}, config });
    const client = createBlockClient(id, ctx);
    for (const op of [
      'blockHost',
      'unblockHost',
      'groomHost',
      'blockAccount',
      'unblockAccount',
      'blockDetection',
      'unblockDetection',
      'blockStaticDstIps',
      'unblockStaticDstIps',
    ] as const) {
      expect(typeof client[op]).toBe('function');
    }
    expect([...client.capabilities].sort()).toEqual([...module.capabilities].sort());
  });

  it('answers lists for host block and unblock, and unblock undoes block', async () => {
    const ctx = makeContext({ claims: fixtures()[key] ?? {}, config });
    const client = createBlockClient(id, ctx);
    if (!module.capabilities.includes('host')) {
      expect(await client.blockHost(host())).toEqual({ inForce: [], pending: [] });
      return;
    }
    const { inForce: ids } = await client.blockHost(host());
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect((await client.blockHost(host())).inForce).toEqual(ids); // idempotent: same elements again
    const undone = await client.unblockHost(host({ blockedElements: { [module.name]: ids } }));
    expect([...undone].sort()).toEqual([...ids].sort());
  });

  it('answers an empty list for what it cannot do, and a typed groom decision', async () => {
    const ctx = makeContext({ claims: fixtures()[key] ?? {}, config });
    const client = createBlockClient(id, ctx);
    if (!module.capabilities.includes('account')) {
      expect(
        await client.blockAccount({ kind: 'account', id: 1, name: 'a' } as unknown as Parameters<
          typeof client.blockAccount
        >[0]),
      ).toEqual({ inForce: [], pending: [] });
    }
    const groom = await client.groomHost(host());
    expect(typeof groom.block).toBe('boolean');
    expect(typeof groom.unblock).toBe('boolean');
  });

  it('rejects a half-configured token with an authorization error, or needs no fields', () => {
    const claims = { block_clients: key };
    try {
      configureClient(id, claims, config);
    } catch (err) {
      expect(err).toBeInstanceOf(RelayError);
      expect((err as RelayError).code).toBe('authorization error');
      expect((err as RelayError).message).toMatch(/^Authorization failed: Wrong JWT payload structure/);
    }
  });
});
