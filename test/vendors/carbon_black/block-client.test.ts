import { afterEach, describe, expect, it } from 'vitest';
import { actions, finHost, type Harness, quarantined, startHarness, stopHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
});

const PENDING = {
  inForce: [],
  pending: [{ id: 'device-1001', what: expect.stringContaining('device 1001') }],
};

describe('Carbon Black block client: quarantine', () => {
  it('quarantines the one matching device with one device action and answers it pending', async () => {
    h = await startHarness();
    expect(await h.client.blockHost(finHost())).toEqual(PENDING);
    const action = h.fake.calls.find((c) => c.path === 'device_actions');
    expect(action?.body).toEqual({ action_type: 'QUARANTINE', device_id: [1001], options: { toggle: 'ON' } });
    expect(h.fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST devices/_search',
      'POST device_actions',
    ]);
    expect(quarantined(h, 1001)).toBe(false); // not in force before the sensor checks in
  });

  it('confirms the pending quarantine only once the device reads quarantined', async () => {
    h = await startHarness();
    await h.client.blockHost(finHost());
    const confirm = h.client.confirm;
    expect(confirm).toBeDefined();
    const before = await confirm?.(finHost({ pending: ['device-1001'] }), ['device-1001']);
    expect(before).toMatchObject({ inForce: [], failed: [], pending: [{ id: 'device-1001' }] });
    h.fake.settle();
    const after = await confirm?.(finHost({ pending: ['device-1001'] }), ['device-1001']);
    expect(after).toEqual({ inForce: ['device-1001'], pending: [], failed: [] });
    expect(quarantined(h, 1001)).toBe(true);
  });

  it('is idempotent: a block of a quarantined device on record answers it in force and acts on nothing', async () => {
    h = await startHarness();
    await h.client.blockHost(finHost());
    h.fake.settle();
    h.fake.calls.length = 0;
    expect(await h.client.blockHost(finHost({ pending: ['device-1001'] }))).toEqual({
      inForce: ['device-1001'],
      pending: [],
    });
    expect(await h.client.blockHost(finHost({ blocked: ['device-1001'] }))).toEqual({
      inForce: ['device-1001'],
      pending: [],
    });
    expect(actions(h)).toEqual([]);
  });

  it('answers the same pending element when blocked again before the sensor checks in', async () => {
    h = await startHarness();
    await h.client.blockHost(finHost());
    expect(await h.client.blockHost(finHost({ pending: ['device-1001'] }))).toEqual(PENDING);
    expect(h.fake.snapshot()).toMatchObject({ pendingActions: [{ deviceId: 1001, on: true }] });
  });

  it('two concurrent blocks of one host agree on one element and leave one pending action', async () => {
    h = await startHarness();
    const other = h.another();
    const [a, b] = await Promise.all([h.client.blockHost(finHost()), other.blockHost(finHost())]);
    expect(a).toEqual(PENDING);
    expect(b).toEqual(PENDING);
    expect(h.fake.snapshot()).toMatchObject({ pendingActions: [{ deviceId: 1001, on: true }] });
    h.fake.settle();
    expect(quarantined(h, 1001)).toBe(true);
  });

  it('unblock lifts our quarantine with one action and answers the ids it held', async () => {
    h = await startHarness();
    await h.client.blockHost(finHost());
    h.fake.settle();
    expect(await h.client.unblockHost(finHost({ blocked: ['device-1001'] }))).toEqual(['device-1001']);
    expect(actions(h)).toEqual(['ON 1001', 'OFF 1001']);
    h.fake.settle();
    expect(quarantined(h, 1001)).toBe(false);
  });

  it('unblock of a pending quarantine cancels it: the fake reads as before the block', async () => {
    h = await startHarness();
    const before = h.fake.snapshot();
    await h.client.blockHost(finHost());
    expect(await h.client.unblockHost(finHost({ pending: ['device-1001'] }))).toEqual(['device-1001']);
    expect(h.fake.snapshot()).toEqual(before);
  });

  it('unblock of a device that no longer exists is success without an action', async () => {
    h = await startHarness();
    h.fake.state.devices.delete(1001);
    expect(await h.client.unblockHost(finHost({ blocked: ['device-1001'] }))).toEqual(['device-1001']);
    expect(actions(h)).toEqual([]);
  });

  it('a device quarantined by someone else is recorded but never lifted by our unblock', async () => {
    h = await startHarness();
    const kiosk = finHost({}, { id: 77, name: 'kiosk-lobby-01', ip: '10.99.0.5' });
    const answer = await h.client.blockHost(kiosk);
    expect(answer).toEqual({ inForce: ['device-9001-found-quarantined'], pending: [] });
    const released = await h.client.unblockHost({
      ...kiosk,
      blockedElements: { 'Carbon Black': ['device-9001-found-quarantined'] },
    });
    expect(released).toEqual(['device-9001-found-quarantined']);
    expect(actions(h)).toEqual([]);
    h.fake.settle();
    expect(quarantined(h, 9001)).toBe(true);
  });

  it('leaves every other device untouched through block and unblock', async () => {
    const harness = await startHarness();
    h = harness;
    const others = () =>
      (harness.fake.snapshot() as { devices: { id: number }[] }).devices.filter((d) => d.id !== 1001);
    const before = others();
    await h.client.blockHost(finHost());
    h.fake.settle();
    await h.client.unblockHost(finHost({ blocked: ['device-1001'] }));
    h.fake.settle();
    expect(others()).toEqual(before);
  });

  it('keeps the quarantine of an offline sensor pending until it checks in', async () => {
    h = await startHarness();
    const travel = finHost({}, { id: 8, name: 'laptop-travel-07', ip: '10.99.0.7' });
    expect((await h.client.blockHost(travel)).pending.map((p) => p.id)).toEqual(['device-9003']);
    h.fake.settle();
    expect((await h.client.confirm?.(travel, ['device-9003']))?.pending.map((p) => p.id)).toEqual([
      'device-9003',
    ]);
    const device = h.fake.state.devices.get(9003);
    if (device) device.online = true;
    h.fake.settle();
    expect((await h.client.confirm?.(travel, ['device-9003']))?.inForce).toEqual(['device-9003']);
  });

  it('confirm reports a device that disappeared as failed, and foreign ids as not ours', async () => {
    h = await startHarness();
    await h.client.blockHost(finHost());
    h.fake.state.devices.delete(1001);
    const answer = await h.client.confirm?.(finHost(), ['device-1001', 'acl-1/10.0.0.1/32']);
    expect(answer?.failed.map((f) => f.id)).toEqual(['device-1001', 'acl-1/10.0.0.1/32']);
  });

  it('declares host blocking only: detections and static IPs answer nothing', async () => {
    h = await startHarness();
    expect([...h.client.capabilities]).toEqual(['host']);
    expect(await h.client.blockStaticDstIps({ kind: 'static-ips', dstIps: ['203.0.113.1'] })).toEqual([]);
    expect(h.fake.calls).toEqual([]);
  });
});
