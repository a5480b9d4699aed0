/**
 * Static destination IPs: the stored `current` list follows, IP by IP, what
 * every capable client really answered, and every comparison is between
 * canonical CIDRs (`parseCidr`), so respelling an entry never churns.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStaticIpStore, planStaticIps } from '../../src/engine/static-ips.js';
import type { BlockClient, StaticElement } from '../../src/kernel/block-client.js';
import type { VectraStaticIPs } from '../../src/kernel/model.js';
import { createTestClient } from '../../src/vendors/test-client/actions.js';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

type StaticOp = (ips: VectraStaticIPs) => Promise<StaticElement[]>;

/** A static-capable client with its own name and static answers (the test client otherwise). */
function staticClient(name: string, block: StaticOp, unblock: StaticOp): BlockClient {
  return {
    ...createTestClient(),
    module: name.toLowerCase(),
    name,
    blockStaticDstIps: block,
    unblockStaticDstIps: unblock,
  };
}

const pairs = (ips: readonly string[]) => ips.map((ip) => ({ ip, id: ip }));
const all: StaticOp = async (ips) => pairs(ips.dstIps);
const except =
  (...refused: string[]): StaticOp =>
  async (ips) =>
    pairs(ips.dstIps.filter((ip) => !refused.includes(ip)));
/** Opaque element ids: the IP comes from the pair, never from the id's format. */
const naclStyle: StaticOp = async (ips) => ips.dstIps.map((ip) => ({ ip, id: `rule-${ip.length}` }));

// CIDRs with host bits clear here: the old and the new canonical forms agree on them.
describe('static IP state follows what each client answered', () => {
  it('an unblock one client did not confirm stays recorded (no orphan deny), and is retried', async () => {
    const store = memoryStaticIpStore(['192.0.2.0/28', '192.0.2.16/28']);
    let refuse = ['192.0.2.16/28'];
    const flaky = staticClient('Flaky', all, async (ips) =>
      pairs(ips.dstIps.filter((ip) => !refuse.includes(ip))),
    );
    const clients = [staticClient('Solid', all, all), flaky];
    const r1 = await h.run({ STATIC_BLOCK_DESTINATION_IPS: [] }, { clients, staticIps: store });
    expect(r1.plan?.staticIps.toUnblock).toEqual(['192.0.2.0/28', '192.0.2.16/28']);
    expect(store.value).toEqual(['192.0.2.16/28']);
    expect(r1.actions.map((a) => [a.client, a.outcome])).toEqual([
      ['Solid', 'success'],
      ['Flaky', 'failure'],
    ]);
    expect(r1.summary.errors).toEqual([
      expect.stringMatching(/unblock not confirmed for 1 of 2 IPs: 192\.0\.2\.16\/28/),
    ]);

    refuse = [];
    const r2 = await h.run({ STATIC_BLOCK_DESTINATION_IPS: [] }, { clients, staticIps: store });
    expect(r2.plan?.staticIps.toUnblock).toEqual(['192.0.2.16/28']);
    expect(r2.summary.errors).toEqual([]);
    expect(store.value).toEqual([]);
  });

  it('a block is recorded only for the IPs every client answered; a failing client records nothing', async () => {
    const store = memoryStaticIpStore();
    const clients = [
      staticClient('Nacl', naclStyle, naclStyle),
      staticClient('Partial', except('198.51.100.0/24'), all),
    ];
    const policy = { STATIC_BLOCK_DESTINATION_IPS: ['192.0.2.0/28', '198.51.100.0/24'] };
    const r1 = await h.run(policy, { clients, staticIps: store });
    expect(r1.plan?.staticIps.toBlock).toEqual(['192.0.2.0/28', '198.51.100.0/24']);
    expect(store.value).toEqual(['192.0.2.0/28']);
    // The unconfirmed IP is planned again next run.
    const again = await h.run(policy, { clients, staticIps: store, dryRun: true });
    expect(again.plan?.staticIps.toBlock).toEqual(['198.51.100.0/24']);

    const broken = staticClient(
      'Broken',
      async () => {
        throw new Error('firewall down');
      },
      all,
    );
    const none = memoryStaticIpStore();
    const r2 = await h.run(policy, {
      clients: [staticClient('Nacl', naclStyle, naclStyle), broken],
      staticIps: none,
    });
    expect(r2.summary.errors).toEqual([expect.stringContaining('firewall down')]);
    expect(none.value).toEqual([]);
  });
});

describe('canonical spelling', () => {
  it('IPv6 forms, /32 and host bits compare equal, so nothing churns', () => {
    expect(
      planStaticIps(
        ['2001:DB8:0:0::1', '10.0.0.5/24', '192.0.2.1/32', 'not an ip'],
        ['2001:db8::1/128', '10.0.0.0/24', '192.0.2.1', '198.51.100.7'],
      ),
    ).toEqual({
      desired: ['10.0.0.0/24', '192.0.2.1/32', '2001:db8::1/128'],
      current: ['10.0.0.0/24', '192.0.2.1/32', '198.51.100.7/32', '2001:db8::1/128'],
      toBlock: [],
      toUnblock: ['198.51.100.7/32'],
    });
  });

  it('a respelt policy entry does not re-block what the store holds', async () => {
    const store = memoryStaticIpStore(['2001:db8::1/128', '10.0.0.0/24']);
    const r = await h.run(
      { STATIC_BLOCK_DESTINATION_IPS: ['2001:DB8:0::1', '10.0.0.9/24'] },
      { staticIps: store },
    );
    expect(r.plan?.staticIps).toMatchObject({ toBlock: [], toUnblock: [] });
    expect(r.actions).toEqual([]);
  });
});
