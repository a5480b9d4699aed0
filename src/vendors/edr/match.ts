/**
 * EDR host matching, shared by the EDR block clients: act only when exactly
 * one endpoint matches the Vectra host (its current IP and its name together,
 * re-checked exactly on what the EDR answered); several → `state conflict`
 * listing them, none → `not found` naming what was tried
 * (the block-client bar, "EDR host matching"; `src/vendors/README.md`).
 */
import { isIP } from 'node:net';
import { RelayError } from '../../kernel/errors.js';
import type { VectraHost } from '../../kernel/model.js';

/** The host's names to match, lower-case: its Vectra name, best full name and DNS artifacts. */
export function hostNames(host: VectraHost): string[] {
  const names = [
    host.name,
    host.fullName,
    ...host.artifacts
      .filter((a) => a.type === 'dns' || a.type === 'windows_defender_name')
      .map((a) => a.value),
  ];
  return [...new Set(names.map((n) => n.trim().toLowerCase()).filter((n) => n !== ''))];
}

/**
 * True when the EDR's name for the endpoint is one of the host's names: equal
 * ignoring case, or equal in the first DNS label when one side is a bare name
 * (`wks-1` and `wks-1.corp.example`). Two different FQDNs never match.
 */
export function sameName(edrName: string | null | undefined, names: readonly string[]): boolean {
  if (!edrName) return false;
  const e = edrName.trim().toLowerCase();
  return names.some((n) => {
    if (n === e) return true;
    const bare = !n.includes('.') || !e.includes('.');
    return bare && n.split('.')[0] === e.split('.')[0];
  });
}

/** The host's current IP, checked to be one address (it is put into upstream queries). */
export function hostIp(host: VectraHost, product: string): string {
  const ip = host.ip?.trim();
  if (!ip || isIP(ip) === 0) {
    throw new RelayError(
      'not found',
      `Vectra host ${host.name} has no current IP address to find it in ${product}.`,
    );
  }
  return ip;
}

/**
 * The one endpoint among `matches`; `tried` says what was searched. When
 * several match but exactly one is `live` (the others are stale records of a
 * reinstalled sensor), that one is taken; otherwise several is a conflict.
 */
export function exactlyOne<T>(
  product: string,
  host: VectraHost,
  matches: readonly T[],
  opts: { tried: string; describe: (t: T) => string; live?: (t: T) => boolean },
): T {
  if (matches.length === 1) return matches[0] as T;
  if (matches.length === 0) {
    throw new RelayError(
      'not found',
      `No ${product} endpoint matches Vectra host ${host.name} (${opts.tried}).`,
    );
  }
  const live = opts.live ? matches.filter(opts.live) : [];
  if (live.length === 1) return live[0] as T;
  const list = matches.slice(0, 10).map(opts.describe).join('; ');
  throw new RelayError(
    'state conflict',
    `${matches.length} ${product} endpoints match Vectra host ${host.name} (${opts.tried}): ${list}. Nothing was isolated; resolve the duplicates in ${product}.`,
  );
}
