/**
 * The production static-IP store (an `ip` group in Vectra) driven by real
 * engine runs against the fake brain: the group is created on the first run,
 * patched on the next, and what a run reads as `current` is the list the
 * previous run applied.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { vectraGroupStaticIpStore } from '../../src/vendors/vectra/var-port.js';
import { type Harness, startHarness } from './harness.js';

const NAME = 'VAR Static Blocked IPs';
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each(['v2.5', 'v3'] as const)('static IPs in a Vectra ip group (%s)', (flavour) => {
  it('creates the group on the first run, replaces its members on the next, and reads them back', async () => {
    h = await startHarness(flavour);
    const harness = h;
    const groups = () => [...harness.brain.state.groups.values()].filter((g) => g.name === NAME);
    const groupWrites = () =>
      harness.brain.requests
        .filter((r) => r.method !== 'GET' && r.path.includes('/groups'))
        .map((r) => r.method);
    const run = (ips: string[]) =>
      harness.run(
        { STATIC_BLOCK_DESTINATION_IPS: ips },
        { staticIps: vectraGroupStaticIpStore(harness.client(), NAME) },
      );

    const run1 = await run(['198.51.100.0/24', '192.0.2.1']);
    expect(run1.summary.errors).toEqual([]);
    expect(run1.plan?.staticIps).toMatchObject({ current: [], toBlock: ['192.0.2.1/32', '198.51.100.0/24'] });
    expect(groups()).toEqual([
      expect.objectContaining({
        type: 'ip',
        importance: 'medium',
        members: ['192.0.2.1/32', '198.51.100.0/24'],
      }),
    ]);
    expect(groupWrites()).toEqual(['POST']);

    const run2 = await run(['192.0.2.10']);
    expect(run2.summary.errors).toEqual([]);
    expect(run2.plan?.staticIps).toMatchObject({
      current: ['192.0.2.1/32', '198.51.100.0/24'],
      toBlock: ['192.0.2.10/32'],
      toUnblock: ['192.0.2.1/32', '198.51.100.0/24'],
    });
    expect(groups().map((g) => g.members)).toEqual([['192.0.2.10/32']]);
    expect(groupWrites()).toEqual(['POST', 'PATCH']);

    // Nothing changed: the group is read, not written.
    const run3 = await run(['192.0.2.10']);
    expect(run3.plan?.staticIps).toMatchObject({ current: ['192.0.2.10/32'], toBlock: [], toUnblock: [] });
    expect(groupWrites()).toEqual(['POST', 'PATCH']);

    // Emptying the list keeps the group, with no members.
    const run4 = await run([]);
    expect(run4.plan?.staticIps).toMatchObject({ current: ['192.0.2.10/32'], toUnblock: ['192.0.2.10/32'] });
    expect(groups().map((g) => g.members)).toEqual([[]]);
    expect(await vectraGroupStaticIpStore(harness.client(), NAME).read()).toEqual([]);
  });
});
