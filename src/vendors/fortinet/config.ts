/**
 * The `fortinet` client's token fields and settings. One module may drive
 * several FortiGates (and several VDOMs of one FortiGate): `fortinet_url`
 * lists them, and `fortinet_vdom` / `fortinet_api_key` give either one value
 * for all or one per URL, in the same order. List a URL twice to use two
 * VDOMs of one firewall.
 */
import * as z from 'zod/mini';
import type { RelayConfig } from '../../kernel/config.js';
import {
  type ClaimsSource,
  caBundleField,
  claimsError,
  csvOf,
  type FieldSpecs,
  type FieldValues,
  httpsUrl,
} from '../../kernel/fields.js';
import { validateUpstreamUrl } from '../../kernel/upstream/url.js';

export const MODULE = 'fortinet';
/** VAR's display name (`third_party_clients/fortinet/fortinet.py`); stored in tags, never change it. */
export const CLIENT_NAME = 'Fortinet Client';
export const PRODUCT = 'FortiGate';
/** Every firewall multiplies each block's calls; a handful is what one module is for. */
export const MAX_FIREWALLS = 8;

/** FortiOS object names: up to 79 characters, no quotes or backslashes (our groups are typed by admins). */
const OBJECT_NAME = /^[^"\\<>&\s][^"\\<>&]{0,77}[^"\\<>&\s]?$/;
/** VDOM names: FortiOS allows up to 31 characters, letters, digits, `-` and `_`. */
const VDOM = /^[A-Za-z0-9_-]{1,31}$/;
/** FortiOS REST API keys are opaque; we only bound them and keep commas out (they separate keys). */
const API_KEY = /^[A-Za-z0-9._~+/=-]{16,128}$/;

const groupName = (fallback: string) => z._default(z.string().check(z.regex(OBJECT_NAME)), fallback);

export const FORTINET_FIELDS = {
  fortinet_url: {
    schema: csvOf(httpsUrl, MAX_FIREWALLS),
    label: 'FortiGate URLs',
    help: 'Comma-separated management URLs, e.g. https://fw1.corp.example:8443 (list one twice for two VDOMs)',
  },
  fortinet_api_key: {
    schema: csvOf(z.string().check(z.regex(API_KEY)), MAX_FIREWALLS),
    label: 'FortiGate REST API keys',
    help: 'One key for every FortiGate, or one per URL in the same order',
    secret: true,
  },
  fortinet_vdom: {
    schema: z._default(csvOf(z.string().check(z.regex(VDOM)), MAX_FIREWALLS), ['root']),
    label: 'FortiGate VDOMs',
    help: 'One VDOM for every URL, or one per URL in the same order (default root)',
  },
  fortinet_src_group: {
    schema: groupName('Internal-Block'),
    label: 'FortiGate source address group (hosts)',
    help: 'IPv4 address group used as source by your deny policy; blocked hosts are added to it',
  },
  fortinet_dst_group: {
    schema: groupName('External-Block'),
    label: 'FortiGate destination address group (detections, static IPs)',
    help: 'IPv4 address group used as destination by your deny policy',
  },
  fortinet_src_group6: {
    schema: z.optional(z.string().check(z.regex(OBJECT_NAME))),
    label: 'FortiGate IPv6 source address group',
    help: 'addrgrp6 for IPv6 hosts; default: the IPv4 group name',
  },
  fortinet_dst_group6: {
    schema: z.optional(z.string().check(z.regex(OBJECT_NAME))),
    label: 'FortiGate IPv6 destination address group',
    help: 'addrgrp6 for IPv6 destinations; default: the IPv4 group name',
  },
  fortinet_ca_bundle: caBundleField('FortiGate'),
} as const satisfies FieldSpecs;

export interface Firewall {
  /** `host[:port]/vdom`: the first part of every element id on this firewall. */
  readonly key: string;
  readonly url: string;
  readonly vdom: string;
  readonly apiKey: string;
  /** PEM CA bundle the firewall's certificate chains to (none: public CAs). */
  readonly caBundle?: string;
}

export type Side = 'src' | 'dst';

export interface FortinetConfig {
  readonly firewalls: readonly Firewall[];
  /** Address group per side and family: `groups.src[4]` is the IPv4 source group. */
  readonly groups: Readonly<Record<Side, Readonly<Record<4 | 6, string>>>>;
}

/** One value for all, or exactly one per URL. */
function aligned<T>(values: readonly T[], count: number, field: string, source: ClaimsSource): T[] {
  if (values.length === 1) return Array.from({ length: count }, () => values[0] as T);
  if (values.length === count) return [...values];
  throw claimsError(source, `${field} must hold one value or one per fortinet_url (${count})`);
}

/** `host[:port]`, lower-cased, the default port left out: stable whatever the URL's spelling. */
export function firewallHost(url: string): string {
  const u = new URL(url);
  return u.host.toLowerCase();
}

export function fortinetConfigFrom(
  v: FieldValues<typeof FORTINET_FIELDS>,
  config: RelayConfig,
  source: ClaimsSource,
): FortinetConfig {
  const urls = v.fortinet_url.map((u) => validateUpstreamUrl(u, 'fortinet_url', config, source));
  const keys = aligned(v.fortinet_api_key, urls.length, 'fortinet_api_key', source);
  const vdoms = aligned(v.fortinet_vdom, urls.length, 'fortinet_vdom', source);
  const firewalls = urls.map((url, i) => ({
    key: `${firewallHost(url)}/${vdoms[i] as string}`,
    url,
    vdom: vdoms[i] as string,
    apiKey: keys[i] as string,
    ...(v.fortinet_ca_bundle ? { caBundle: v.fortinet_ca_bundle as string } : {}),
  }));
  const seen = new Set<string>();
  for (const f of firewalls) {
    if (seen.has(f.key)) throw claimsError(source, `fortinet_url lists ${f.key} twice`);
    seen.add(f.key);
  }
  return Object.freeze({
    firewalls: Object.freeze(firewalls.map((f) => Object.freeze(f))),
    groups: Object.freeze({
      src: Object.freeze({ 4: v.fortinet_src_group, 6: v.fortinet_src_group6 ?? v.fortinet_src_group }),
      dst: Object.freeze({ 4: v.fortinet_dst_group, 6: v.fortinet_dst_group6 ?? v.fortinet_dst_group }),
    }),
  });
}
