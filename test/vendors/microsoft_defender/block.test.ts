import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import { makeMachine } from '../../../src/sandbox/microsoft_defender/index.js';
import { apiCalls, type Harness, startHarness, stopHarness, vectraHost } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
});

const rejection = async (p: Promise<unknown>): Promise<RelayError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
};

describe('Microsoft Defender block client: isolation with pending', () => {
  it('isolates the matching machine and answers pending until the action reads Succeeded', async () => {
    h = await startHarness();
    const answer = await h.client.blockHost(vectraHost());
    expect(answer.inForce).toEqual([]);
    expect(answer.pending).toHaveLength(1);
    const [pending] = answer.pending;
    const action = h.fake.store.actions[0];
    expect(pending?.id).toBe(`${h.wks.id}/${action?.id}`);
    expect(action).toMatchObject({ type: 'Isolate', scope: 'Full', status: 'Pending' });
    expect(action?.requestorComment).toMatch(
      /^vectra-relay-isolate: Vectra host wks-fin-042 \(id 42, threat 88, certainty 91\) blocked by /,
    );
    expect(apiCalls(h)).toEqual(['GET machines', 'GET machineactions', 'POST machines/{m}/isolate']);

    const confirm = h.client.confirm;
    expect(confirm).toBeDefined();
    expect(await confirm?.(vectraHost(), [pending?.id ?? ''])).toMatchObject({ inForce: [], failed: [] });
    h.fake.settle();
    expect(await confirm?.(vectraHost(), [pending?.id ?? ''])).toEqual({
      inForce: [h.wks.id],
      pending: [],
      failed: [],
    });
    expect(h.fake.store.machine(h.wks.id).isolated).toBe('Full');
  });

  it('is idempotent: blocking while pending, and once in force, sends no second isolate', async () => {
    h = await startHarness();
    const first = await h.client.blockHost(vectraHost());
    const again = await h.client.blockHost(vectraHost({ pending: first.pending.map((p) => p.id) }));
    expect(again.pending.map((p) => p.id)).toEqual(first.pending.map((p) => p.id));
    h.fake.settle();
    expect((await h.client.blockHost(vectraHost({ blocked: [h.wks.id] }))).inForce).toEqual([h.wks.id]);
    expect(apiCalls(h).filter((c) => c.startsWith('POST'))).toEqual(['POST machines/{m}/isolate']);
  });

  it('two concurrent blocks of one host send one isolate and agree on the pending element', async () => {
    h = await startHarness();
    const [a, b] = await Promise.all([h.client.blockHost(vectraHost()), h.client.blockHost(vectraHost())]);
    expect(a.pending.map((p) => p.id)).toEqual(b.pending.map((p) => p.id));
    expect(h.fake.store.actions.filter((x) => x.type === 'Isolate')).toHaveLength(1);
  });

  it("reads Defender's 'Action is already in progress' (another instance's isolate) back as our pending action", async () => {
    h = await startHarness();
    let other = '';
    h.fake.beforeNext('/isolate', (s) => {
      other = s.request(
        h?.wks.id ?? '',
        'Isolate',
        { Comment: 'vectra-relay-isolate: other instance' },
        'app',
      ).id;
    });
    const answer = await h.client.blockHost(vectraHost());
    expect(answer.pending.map((p) => p.id)).toEqual([`${h.wks.id}/${other}`]);
  });

  it('Selective isolation is requested when the token asks for it', async () => {
    h = await startHarness({ claims: { microsoft_defender_isolation_type: 'Selective' } });
    await h.client.blockHost(vectraHost());
    expect(h.fake.store.actions[0]?.scope).toBe('Selective');
  });

  it('confirm reports a failed or cancelled isolation as failed, with the reason', async () => {
    h = await startHarness();
    const { pending } = await h.client.blockHost(vectraHost());
    const action = h.fake.store.actions[0];
    if (action) action.status = 'TimeOut';
    const answer = await h.client.confirm?.(
      vectraHost(),
      pending.map((p) => p.id),
    );
    expect(answer?.failed).toEqual([{ id: pending[0]?.id, reason: expect.stringMatching(/ended TimeOut/) }]);
  });
});

describe('Microsoft Defender block client: release', () => {
  it('release while pending cancels the isolation action', async () => {
    h = await startHarness();
    const { pending } = await h.client.blockHost(vectraHost());
    const ids = pending.map((p) => p.id);
    expect(await h.client.unblockHost(vectraHost({ pending: ids }))).toEqual(ids);
    expect(h.fake.store.actions[0]?.status).toBe('Cancelled');
    expect(h.fake.store.actions[0]?.cancellationComment).toMatch(
      /^vectra-relay-cancel: block of Vectra host wks-fin-042/,
    );
    h.fake.settle();
    expect(h.fake.store.machine(h.wks.id).isolated).toBe(false);
  });

  it('an isolation that completes just before our cancel is released instead', async () => {
    h = await startHarness();
    const { pending } = await h.client.blockHost(vectraHost());
    h.fake.beforeNext('/cancel', () => h?.fake.settle());
    await h.client.unblockHost(vectraHost({ pending: pending.map((p) => p.id) }));
    expect(h.fake.store.actions.map((a) => [a.type, a.status])).toEqual([
      ['Isolate', 'Succeeded'],
      ['Unisolate', 'Pending'],
    ]);
  });

  it('an offline machine stays pending through settle until it checks in', async () => {
    h = await startHarness();
    h.fake.store.machine(h.wks.id).online = false;
    const ids = (await h.client.blockHost(vectraHost())).pending.map((p) => p.id);
    h.fake.settle();
    expect((await h.client.confirm?.(vectraHost(), ids))?.pending.map((p) => p.id)).toEqual(ids);
    h.fake.store.machine(h.wks.id).online = true;
    h.fake.settle();
    expect((await h.client.confirm?.(vectraHost(), ids))?.inForce).toEqual([h.wks.id]);
  });

  it('release once in force asks Defender to release, and unblocking what is gone is success', async () => {
    h = await startHarness();
    await h.client.blockHost(vectraHost());
    h.fake.settle();
    expect(await h.client.unblockHost(vectraHost({ blocked: [h.wks.id] }))).toEqual([h.wks.id]);
    const release = h.fake.store.actions.find((a) => a.type === 'Unisolate');
    expect(release?.requestorComment).toMatch(/^vectra-relay-release: /);
    h.fake.settle();
    expect(h.fake.store.machine(h.wks.id).isolated).toBe(false);
    expect(await h.client.unblockHost(vectraHost({ blocked: [h.wks.id] }))).toEqual([h.wks.id]);
    expect(h.fake.store.actions.filter((a) => a.type === 'Unisolate')).toHaveLength(1);
  });

  it('never isolates or releases a machine someone else isolated', async () => {
    h = await startHarness();
    h.fake.store.seedAction(h.wks.id, 'Isolate', 'analyst@corp.example', 'Triage ticket 4711');
    const err = await rejection(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toMatch(/did not request; the relay leaves it/);
    expect(await h.client.unblockHost(vectraHost({ blocked: [h.wks.id] }))).toEqual([h.wks.id]);
    expect(apiCalls(h).filter((c) => c.startsWith('POST'))).toEqual([]);
    expect(h.fake.store.machine(h.wks.id).isolated).toBe('Full');
  });
});

describe('Microsoft Defender block client: host matching and OS limits', () => {
  it('several live machines with the host IP and name: state conflict listing them, nothing isolated', async () => {
    h = await startHarness();
    h.fake.store.add(
      makeMachine({
        computerDnsName: 'WKS-FIN-042',
        lastIpAddress: '10.20.30.42',
        osPlatform: 'Windows10',
        version: '21H2',
      }),
    );
    const err = await rejection(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('state conflict');
    expect(err.message).toMatch(/2 Microsoft Defender for Endpoint endpoints match Vectra host wks-fin-042/);
    expect(err.message).toContain('wks-fin-042.corp.example');
    expect(h.fake.store.actions).toEqual([]);
  });

  it('a stale (Inactive) duplicate does not hide the live machine', async () => {
    h = await startHarness();
    h.fake.store.add(
      makeMachine({ computerDnsName: 'wks-fin-042', lastIpAddress: '10.20.30.42', healthStatus: 'Inactive' }),
    );
    const answer = await h.client.blockHost(vectraHost());
    expect(answer.pending[0]?.id.startsWith(h.wks.id)).toBe(true);
  });

  it('no machine with the IP and the name: not found naming what was tried', async () => {
    h = await startHarness();
    h.fake.store.add(makeMachine({ computerDnsName: 'printer-7', lastIpAddress: '10.20.30.99' }));
    const err = await rejection(h.client.blockHost(vectraHost({ ip: '10.20.30.99' })));
    expect(err.code).toBe('not found');
    expect(err.message).toMatch(
      /lastIpAddress 10\.20\.30\.99 and name wks-fin-042; 1 machine\(s\) with that IP/,
    );
  });

  it.each([
    ['macOS', '14.5', 'Full', /Full isolation needs .* the machine runs macOS/],
    ['Linux', null, 'Selective', /Selective isolation needs .* the machine runs Linux/],
    ['Windows10', '1703', 'Selective', /Windows 10 version 1703/],
    ['Windows10', '1607', 'Full', /Windows 10 version 1607/],
    ['WindowsServer2019', '1809', 'Full', /WindowsServer2019/],
  ])('refuses %s %s with %s isolation before asking Defender', async (osPlatform, version, type, why) => {
    h = await startHarness({ claims: { microsoft_defender_isolation_type: type } });
    const m = h.fake.store.machine(h.wks.id);
    m.osPlatform = osPlatform;
    m.version = version;
    const err = await rejection(h.client.blockHost(vectraHost()));
    expect(err.code).toBe('invalid argument');
    expect(err.message).toMatch(why);
    expect(h.fake.store.actions).toEqual([]);
  });

  it.each([
    ['Linux', null, 'Full'],
    ['Windows10', '1709', 'Selective'],
    ['Windows10', '20H2', 'Full'],
  ])('isolates %s %s with %s isolation', async (osPlatform, version, type) => {
    h = await startHarness({ claims: { microsoft_defender_isolation_type: type } });
    const m = h.fake.store.machine(h.wks.id);
    m.osPlatform = osPlatform;
    m.version = version;
    expect((await h.client.blockHost(vectraHost())).pending).toHaveLength(1);
  });
});

describe('Microsoft Defender block client: detections and static IPs as IP indicators', () => {
  const detection = (dstIps: readonly string[], blocked: readonly string[] = []) =>
    ({
      kind: 'detection',
      id: 9,
      dstIps,
      allTags: [],
      tags: [],
      blockedElements: blocked.length ? { 'Microsoft Defender': blocked } : {},
      pendingElements: {},
      clientRestrictions: [],
    }) as never;

  it('blocks the external destination IPs of a detection, idempotently, and unblocks them', async () => {
    h = await startHarness();
    const ids = await h.client.blockDetection(detection(['203.0.113.66', '10.1.2.3', '2001:db8:ffff::1']));
    expect(ids.inForce).toEqual(['indicator/203.0.113.66', 'indicator/2001:db8:ffff::1']);
    const indicators = () =>
      [...(h?.fake.store.indicators.values() ?? [])].map((i) => [
        i.indicatorValue,
        i.indicatorType,
        i.action,
      ]);
    expect(indicators()).toEqual([
      ['203.0.113.66', 'IpAddress', 'Block'],
      ['2001:db8:ffff::1', 'IpAddress', 'Block'],
    ]);
    expect((await h.client.blockDetection(detection(['203.0.113.66']))).inForce).toEqual([
      'indicator/203.0.113.66',
    ]);
    expect(h.fake.store.indicators.size).toBe(2);
    expect(await h.client.unblockDetection(detection([], ids.inForce))).toEqual(ids.inForce);
    expect(indicators()).toEqual([]);
    expect(h.client.ipOf?.('indicator/203.0.113.66')).toBe('203.0.113.66');
  });

  it('static IPs answer { ip, id } pairs; an address with a foreign indicator is left alone', async () => {
    h = await startHarness();
    h.fake.store.submitIndicator(
      {
        indicatorValue: '198.51.100.9',
        indicatorType: 'IpAddress',
        action: 'Allowed',
        title: 'partner',
        description: 'x',
      },
      'soc',
    );
    const pairs = await h.client.blockStaticDstIps({
      kind: 'static-ips',
      dstIps: ['198.51.100.8', '198.51.100.9'],
    });
    expect(pairs).toEqual([{ ip: '198.51.100.8', id: 'indicator/198.51.100.8' }]);
    const err = await rejection(h.client.blockStaticDstIps({ kind: 'static-ips', dstIps: ['198.51.100.9'] }));
    expect(err.code).toBe('state conflict');
    expect(
      await h.client.unblockStaticDstIps({ kind: 'static-ips', dstIps: ['198.51.100.8', '198.51.100.9'] }),
    ).toEqual([
      { ip: '198.51.100.8', id: 'indicator/198.51.100.8' },
      { ip: '198.51.100.9', id: 'indicator/198.51.100.9' },
    ]);
    expect([...h.fake.store.indicators.values()].map((i) => [i.indicatorValue, i.action])).toEqual([
      ['198.51.100.9', 'Allowed'],
    ]);
  });
});
