/**
 * The fake PAN-OS state: per device (the firewall itself, or each firewall
 * behind the fake Panorama, by serial) and per vsys, the registered IP-tag
 * pairs that dynamic address groups match. Registrations are runtime state:
 * there is no candidate configuration and no commit.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Longest tag PAN-OS accepts (tag object names are limited to 127 characters). */
export const MAX_TAG_LENGTH = 127;
/** Longest registration timeout, in seconds (30 days, pan-os-python's `UserId.register`). */
export const MAX_TIMEOUT_S = 2_592_000;

export interface Registration {
  readonly tag: string;
  /** Epoch ms when the registration lapses, or undefined for "until unregistered" (timeout 0). */
  readonly expiresAt: number | undefined;
}

export interface Device {
  readonly serial: string;
  connected: boolean;
  /** vsys name → ip → tag → registration. */
  readonly vsys: Map<string, Map<string, Map<string, Registration>>>;
  /** Registered IP-tag pairs this device holds at most (model dependent on real firewalls). */
  readonly limit: number;
}

export const makeDevice = (serial: string, limit: number, vsys: readonly string[] = ['vsys1']): Device => ({
  serial,
  connected: true,
  vsys: new Map(vsys.map((v) => [v, new Map()])),
  limit,
});

export const validIp = (ip: string): boolean => isIPv4(ip) || (isIPv6(ip) && !ip.includes('%'));

/** Counts live pairs, dropping lapsed ones first. */
export function countLive(d: Device, now: number): number {
  let n = 0;
  for (const ips of d.vsys.values()) {
    for (const [ip, tags] of ips) {
      for (const [tag, r] of tags) if (r.expiresAt !== undefined && r.expiresAt <= now) tags.delete(tag);
      if (tags.size === 0) ips.delete(ip);
      n += tags.size;
    }
  }
  return n;
}

/** Plain JSON of a device: `vsys → ["ip tag", …]` sorted. */
export function deviceJson(d: Device, now: number): Record<string, string[]> {
  countLive(d, now);
  const out: Record<string, string[]> = {};
  for (const [v, ips] of d.vsys) {
    out[v] = [...ips].flatMap(([ip, tags]) => [...tags.keys()].map((t) => `${ip} ${t}`)).sort();
  }
  return out;
}
