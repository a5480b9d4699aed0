/**
 * One contract suite over every registered block client, each against its
 * own registered stateful fake (`src/sandbox/fakes.ts`) and through the VAR
 * core (`src/var/applier.ts`, `src/var/guard.ts`) with Vectra's tags held in
 * memory. It checks once, for every client, the safety properties the core
 * promises: no address of a no-block host reaches a client on any path, a
 * shared element is kept while another record holds it, operations are
 * idempotent and answer lists of ids, a pending block is confirmed before it
 * is recorded, and a block/unblock round trip changes the fake and back.
 * A client registered without a fake fails here.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BlockClient } from '../../src/kernel/block-client.js';
import { makeConfig } from '../../src/kernel/config.js';
import { RelayError } from '../../src/kernel/errors.js';
import { createLogger } from '../../src/kernel/logger.js';
import type { FakeDeclaration, RunningFake } from '../../src/sandbox/fake.js';
import { fakes } from '../../src/sandbox/fakes.js';
import { Applier, type ApplyResult } from '../../src/var/applier.js';
import { createGuard } from '../../src/var/guard.js';
import { BLOCKED_MARKERS } from '../../src/var/state.js';
import {
  type BlockClientId,
  blockClients,
  configureClient,
  createBlockClient,
} from '../../src/vendors/block-clients.js';
import { makeContext } from '../helpers/context.js';
import { type MemoryVectra, memoryVectra, plainDetection, plainHost } from '../helpers/var-memory.js';

const WKS = { id: 42, name: 'wks-contract', ip: '198.51.100.42' };
const JEWEL = { id: 43, name: 'srv-jewel', ip: '198.51.100.99' };
const C2 = '203.0.113.80';
const config = makeConfig({ allowLoopbackUpstreams: true });
const log = createLogger('SILENT');

/** Records every argument a client is called with, to prove what never reached it. */
function recording(client: BlockClient): { client: BlockClient; seen: string[] } {
  const seen: string[] = [];
  const wrapped = Object.fromEntries(
    Object.entries(client).map(([k, v]) => [
      k,
      typeof v === 'function'
        ? (...args: unknown[]) => {
            seen.push(JSON.stringify(args));
            return (v as (...a: unknown[]) => unknown).apply(client, args);
          }
        : v,
    ]),
  ) as unknown as BlockClient;
  return { client: wrapped, seen };
}

interface Setup {
  fake: RunningFake;
  vectra: MemoryVectra;
  client: BlockClient;
  seen: string[];
  applier: Applier;
}

describe.each(Object.keys(blockClients) as BlockClientId[])('block client %s', (id) => {
  const decl = blockClients[id];
  const fakeDecl = (fakes as Record<string, FakeDeclaration | undefined>)[id];
  let s: Setup;

  beforeAll(async () => {
    if (!fakeDecl) return;
    const fake = await fakeDecl.start({
      hosts: [
        { name: WKS.name, ip: WKS.ip },
        { name: JEWEL.name, ip: JEWEL.ip },
      ],
      jobMs: 60_000,
    });
    for (const [k, v] of Object.entries(fake.env ?? {})) vi.stubEnv(k, v);
    const vectra = memoryVectra();
    vectra.groups.set('NoBlock', [JEWEL.id]);
    vectra.add(plainHost(JEWEL.id, JEWEL.name, JEWEL.ip));
    const guard = createGuard(vectra, { noBlockHostGroup: 'NoBlock', noBlockAccountGroup: 'NoBlock' });
    const ctx = makeContext({ claims: { block_clients: id, ...fake.claims }, guard });
    const { client, seen } = recording(createBlockClient(id, ctx));
    s = { fake, vectra, client, seen, applier: new Applier({ port: vectra, guard, source: 'relay', log }) };
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await s?.fake.close();
  });

  /** Blocks (or unblocks) and, while the answer is pending, lets the fake finish its job and asks again. */
  async function settled(run: () => Promise<ApplyResult>): Promise<ApplyResult> {
    let r = await run();
    for (let i = 0; i < 3 && r.outcome === 'pending'; i++) {
      s.fake.settle?.();
      r = await run();
    }
    return r;
  }

  it('has a declaration VAR can store in tags and a registered fake', () => {
    expect(decl.module).toBe(id);
    expect(decl.name).not.toContain(':');
    expect(decl.capabilities.length).toBeGreaterThan(0);
    expect(fakeDecl, `src/sandbox/fakes.ts has no fake for ${id}`).toBeDefined();
    expect(fakeDecl?.module).toBe(id);
  });

  it('names a missing field of a half-configured token, or needs none', () => {
    const required = Object.values(decl.fields).some((f) => !f.schema.safeParse(undefined).success);
    const attempt = () => configureClient(id, { block_clients: id }, config);
    if (!required) {
      expect(attempt).not.toThrow();
      return;
    }
    expect(attempt).toThrow(RelayError);
    expect(attempt).toThrow(/^Authorization failed: Wrong JWT payload structure: \w+ is missing/);
    expect(() => configureClient(id, { block_clients: id }, config, 'engine')).toThrow(
      /^engine claims: \w+ is missing/,
    );
  });

  it('blocks a host until in force, idempotently, changes its fake, and the unblock restores it', async () => {
    if (!decl.capabilities.includes('host')) return;
    const host = s.vectra.add(plainHost(WKS.id, WKS.name, WKS.ip));
    const snap = () => JSON.stringify(s.fake.snapshot());
    // Twice: the first block may create the client's own containers (a group, a dynamic
    // object) that stay for the next blocks; from then on a round trip restores the fake exactly.
    for (let round = 1; round <= 2; round++) {
      const before = snap();
      const blocked = await settled(() => s.applier.block(s.client, s.vectra.get('host', host.id)));
      expect(blocked.outcome).toBe('success');
      const tags = s.vectra.tags('host', host.id);
      expect(tags).toContain(BLOCKED_MARKERS.host);
      expect(tags.filter((t) => t.startsWith(`VAR ID:${decl.name}:`)).length).toBeGreaterThan(0);
      expect(tags.some((t) => t.startsWith('VAR Pending:'))).toBe(false);
      const during = snap();
      if (s.fake.snapshot() !== null) expect(during).not.toBe(before);

      const again = await s.applier.block(s.client, s.vectra.get('host', host.id));
      expect(again.outcome).toBe('unchanged');
      expect(snap()).toBe(during);

      const released = await s.applier.unblock(s.client, s.vectra.get('host', host.id));
      expect(released.complete).toBe(true);
      s.fake.settle?.();
      expect(s.vectra.tags('host', host.id)).toEqual([]);
      if (round === 2) expect(snap()).toBe(before);
    }
  });

  it('never lets an address of a no-block host reach the client, on any path', async () => {
    const jewel = s.vectra.get('host', JEWEL.id);
    s.seen.length = 0;
    if (decl.capabilities.includes('host')) {
      await expect(s.applier.block(s.client, jewel)).rejects.toMatchObject({ code: 'invalid argument' });
    }
    if (decl.capabilities.includes('detection')) {
      const d = s.vectra.add(plainDetection(900, [JEWEL.ip, '203.0.113.77']));
      await settled(() => s.applier.block(s.client, s.vectra.get('detection', d.id)));
      const blockCalls = s.seen.join('\n');
      await s.applier.unblock(s.client, s.vectra.get('detection', d.id));
      expect(blockCalls).not.toContain(JEWEL.ip);
    }
    expect(await s.applier.allowedStaticIps([JEWEL.ip, `${JEWEL.ip}/32`, '203.0.113.78'])).toEqual([
      '203.0.113.78',
    ]);
  });

  it('keeps an element another record holds, and releases it with the last one', async () => {
    if (!decl.capabilities.includes('detection') || s.fake.snapshot() === null) return;
    const before = JSON.stringify(s.fake.snapshot());
    const a = s.vectra.add(plainDetection(901, [C2]));
    const b = s.vectra.add(plainDetection(902, [C2]));
    await settled(() => s.applier.block(s.client, s.vectra.get('detection', a.id)));
    await settled(() => s.applier.block(s.client, s.vectra.get('detection', b.id)));
    const both = JSON.stringify(s.fake.snapshot());
    expect(both).not.toBe(before);

    await s.applier.unblock(s.client, s.vectra.get('detection', a.id));
    s.fake.settle?.();
    expect(s.vectra.tags('detection', a.id)).toEqual([]);
    expect(JSON.stringify(s.fake.snapshot())).toBe(both); // still relied on by b

    await s.applier.unblock(s.client, s.vectra.get('detection', b.id));
    s.fake.settle?.();
    expect(JSON.stringify(s.fake.snapshot())).toBe(before);
  });

  it('answers an empty list for what it cannot do, and a typed groom decision', async () => {
    if (!decl.capabilities.includes('account')) {
      const account = { kind: 'account', id: 1, name: 'a' } as unknown as Parameters<
        BlockClient['blockAccount']
      >[0];
      expect(await s.client.blockAccount(account)).toEqual({ inForce: [], pending: [] });
    }
    const groom = await s.client.groomHost(plainHost(WKS.id, WKS.name, WKS.ip));
    expect(typeof groom.block).toBe('boolean');
    expect(typeof groom.unblock).toBe('boolean');
  });
});
