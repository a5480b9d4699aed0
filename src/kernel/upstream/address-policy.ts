/**
 * Which network addresses an upstream URL from a token may reach (SSRF guard).
 *
 * A token names the URL of the brain or the firewall manager, so without a
 * guard a token holder could make the relay probe loopback services, the
 * Lambda's metadata and runtime endpoints or the VPC's private network.
 * Non-public addresses are refused unless the deployment allows them
 * (`UPSTREAM_ALLOWED_CIDRS`; the sandbox's `ALLOW_LOOPBACK_UPSTREAMS` allows
 * loopback), and `UPSTREAM_ALLOWED_HOSTS`, when set, is the only list of host
 * names a token may use.
 *
 * The check runs on the address actually connected to: undici passes its
 * `connect` options to `net`/`tls.connect`, so `lookupFor()` is called by Node
 * for every connection (DNS rebinding cannot slip a private address in after a
 * first check). Node does not call `lookup` for IP literals, so `hostRefusal()`
 * checks those up front; with `autoSelectFamily` (Node's default) the hook is
 * called with `all: true` and every address returned is checked.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { type Cidr, embeddedV4, overlaps, parseCidr } from '../cidr.js';
import type { RelayConfig } from '../config.js';

/** RFC 6890 ranges that are not the public internet. */
const NON_PUBLIC = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10', // CGNAT (shared address space)
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local: instance metadata, VPC DNS
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4', // includes 255.255.255.255
  '::/128',
  '::1/128',
  '::ffff:0:0/96', // IPv4-mapped: the IPv4 stack by another name
  'fc00::/7', // unique local (ULA)
  'fe80::/10',
  'ff00::/8',
].map((t) => parseCidr(t) as Cidr);

const LOOPBACK = ['127.0.0.0/8', '::1/128'].map((t) => parseCidr(t) as Cidr);

export interface AddressPolicy {
  readonly allowed: readonly Cidr[];
  readonly allowedHosts: readonly string[];
}

const policies = new WeakMap<RelayConfig, AddressPolicy>();

/** The deployment's policy, parsed once per config object. */
export function addressPolicy(config: RelayConfig): AddressPolicy {
  let p = policies.get(config);
  if (!p) {
    const allowed = config.upstreamAllowedCidrs
      .map((t) => parseCidr(t))
      .filter((c): c is Cidr => c !== undefined);
    p = Object.freeze({
      allowed: Object.freeze([...allowed, ...(config.allowLoopbackUpstreams ? LOOPBACK : [])]),
      allowedHosts: config.upstreamAllowedHosts,
    });
    policies.set(config, p);
  }
  return p;
}

const contains = (outer: Cidr, inner: Cidr) => outer.prefix <= inner.prefix && overlaps(outer, inner);

/** True when the address may be connected to. */
export function addressAllowed(address: string, policy: AddressPolicy): boolean {
  const ip = parseCidr(address);
  if (!ip) return false;
  if (policy.allowed.some((a) => contains(a, ip))) return true;
  if (NON_PUBLIC.some((n) => overlaps(n, ip))) return false;
  // NAT64 and 6to4 forms of a non-public IPv4 address are that address.
  const v4 = embeddedV4(ip);
  if (v4 === 'all') return false;
  if (v4) return addressAllowed(v4.text.replace(/\/32$/, ''), policy);
  return true;
}

const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

/** Why a URL's host may not be used before any connection, or undefined (names are checked at connect time). */
export function hostRefusal(hostname: string, policy: AddressPolicy): 'host' | 'address' | undefined {
  const host = bare(hostname);
  if (policy.allowedHosts.length > 0 && !policy.allowedHosts.includes(host)) return 'host';
  if (isIP(host) && !addressAllowed(host, policy)) return 'address';
  return undefined;
}

/** The error a refused connection fails with; mapped to the same message as an unreachable host. */
export class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
  readonly code = 'EUPSTREAMREFUSED';
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for `net.connect` that refuses to hand out any address the policy refuses. */
export function lookupFor(policy: AddressPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options }, (err, address, family) => {
      if (err) return callback(err, '', 0);
      const all: LookupAddress[] = Array.isArray(address)
        ? address
        : [{ address: address as string, family: family ?? 4 }];
      // Any refused answer refuses the name: a rebinding record must not ride along with a good one.
      if (all.length === 0 || all.some((a) => !addressAllowed(a.address, policy))) {
        return callback(new RefusedAddressError('upstream address refused by policy'), '', 0);
      }
      if (Array.isArray(address)) return callback(null, all);
      return callback(null, address as string, family);
    });
  };
}
