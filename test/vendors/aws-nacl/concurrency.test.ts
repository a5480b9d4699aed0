import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import { type Harness, host, startHarness, stopHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
});

const owned = (x: Harness, egress: boolean) =>
  x.fake
    .entries(x.naclId)
    .filter((e) => e.egress === egress && e.ruleAction === 'deny' && e.ruleNumber <= 99);

describe('concurrent blocks', () => {
  it('20 concurrent blocks of the same IP end with exactly one entry per direction', async () => {
    h = await startHarness({ latencyMs: 2 });
    const client = h.client;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => client.blockHost(host('203.0.113.50'))),
    );
    expect(new Set(results.map((r) => r.join()))).toEqual(new Set([`${h.naclId}/203.0.113.50/32`]));
    for (const egress of [true, false]) {
      expect(owned(h, egress).map((e) => [e.ruleNumber, e.cidrBlock])).toEqual([[1, '203.0.113.50/32']]);
    }
    expect(h.fake.calls.filter((c) => c.action === 'CreateNetworkAclEntry')).toHaveLength(2);
  });

  it('20 concurrent blocks of different IPs with a quota of 20 fill the NACL exactly, without lost writes', async () => {
    // Quota 20 per direction; the default NACL already holds "100 allow" in each direction, so 19
    // denies fit per direction. Every call either succeeds in both directions or fails with the
    // quota error; which of the 20 loses the race is not fixed, how many entries exist is.
    h = await startHarness({ latencyMs: 2 });
    const client = h.client;
    const ips = Array.from({ length: 20 }, (_, i) => `203.0.113.${i + 1}`);
    const settled = await Promise.allSettled(ips.map((ip) => client.blockHost(host(ip))));
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected.length).toBeLessThanOrEqual(2);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(RelayError);
      expect((r.reason as RelayError).code).toBe('state conflict');
      expect((r.reason as RelayError).message).toMatch(/holds 20 IPv4 (egress|ingress) rules.*L-2AEEBF1A/);
    }
    for (const egress of [true, false]) {
      const entries = owned(h, egress);
      expect(entries).toHaveLength(19);
      expect(new Set(entries.map((e) => e.ruleNumber)).size).toBe(19);
      expect(new Set(entries.map((e) => e.cidrBlock)).size).toBe(19);
    }
    // Every success is denied in both directions; no write was lost or overwritten.
    settled.forEach((s, i) => {
      if (s.status !== 'fulfilled' || !h) return;
      for (const egress of [true, false]) {
        expect(owned(h, egress).some((e) => e.cidrBlock === `${ips[i]}/32`)).toBe(true);
      }
    });
    const created = h.fake.calls.filter((c) => c.action === 'CreateNetworkAclEntry' && c.status === 200);
    expect(created).toHaveLength(38);
    // The in-process reservations mean no two creates collided on a number.
    expect(h.fake.calls.filter((c) => c.code === 'NetworkAclEntryAlreadyExists')).toHaveLength(0);
  });

  it('20 concurrent blocks of different IPs all succeed when quota and band allow, on distinct numbers', async () => {
    h = await startHarness({ quota: 40, latencyMs: 2 });
    const client = h.client;
    const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
    const ids = await Promise.all(ips.map((ip) => client.blockHost(host(ip))));
    expect(ids.flat()).toHaveLength(20);
    for (const egress of [true, false]) {
      expect(owned(h, egress).map((e) => e.ruleNumber)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
  });
});
