/**
 * The `pan` client's token fields: the firewall's (or Panorama's) management
 * URL, an API key, optional Panorama targets (firewall serial numbers) and
 * vsys, and the two tags our registrations carry. Problems name the field,
 * never its value.
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

export const PAN_MODULE = 'pan';
/** VAR's display name (`third_party_clients/pan/pan.py`), stored in `VAR ID:` tags: never change it. */
export const PAN_CLIENT_NAME = 'PAN Client';
export const PAN_PRODUCT = 'PAN-OS';

/** Our tags: the relay's prefix, then what a dynamic address group match can name without quoting. */
export const PAN_TAG = /^vectra-relay-[A-Za-z0-9_.-]{1,100}$/;
/** Firewall serial numbers as Panorama lists them (digits, or letters and digits for VM-Series). */
const SERIAL = /^[A-Za-z0-9]{6,32}$/;
/** A token may address a bounded number of firewalls: every block costs one call per firewall. */
const MAX_TARGETS = 20;

export const PAN_FIELDS = {
  pan_url: {
    schema: httpsUrl,
    label: 'PAN-OS management URL',
    help: 'https://<firewall or Panorama management address>',
  },
  pan_api_key: {
    schema: z.string().check(z.minLength(8), z.maxLength(4096)),
    label: 'PAN-OS API key',
    help: 'Key of an admin whose role allows the XML API User-ID Agent and Operational Requests',
    secret: true,
  },
  pan_targets: {
    schema: z.optional(csvOf(z.string().check(z.regex(SERIAL)), MAX_TARGETS)),
    label: 'PAN-OS firewall serials (through Panorama)',
    help: 'Comma-separated serial numbers when pan_url is Panorama; empty for a firewall',
  },
  pan_vsys: {
    schema: z.optional(z.string().check(z.regex(/^vsys\d{1,3}$/))),
    label: 'PAN-OS vsys',
    help: 'e.g. vsys1; empty for the default',
  },
  pan_host_tag: {
    schema: z._default(z.string().check(z.regex(PAN_TAG)), 'vectra-relay-block-host'),
    label: 'PAN-OS tag for blocked hosts',
    help: 'Matched by the dynamic address group of your source-deny rule; starts with vectra-relay-',
  },
  pan_detection_tag: {
    schema: z._default(z.string().check(z.regex(PAN_TAG)), 'vectra-relay-block-dst'),
    label: 'PAN-OS tag for blocked destinations',
    help: 'Matched by the dynamic address group of your destination-deny rule; starts with vectra-relay-',
  },
  pan_ca_bundle: caBundleField('PAN-OS'),
} as const satisfies FieldSpecs;

export interface PanConfig {
  readonly url: string;
  /** PEM CA bundle the firewall's or Panorama's certificate chains to (none: public CAs). */
  readonly caBundle?: string;
  readonly apiKey: string;
  /** Panorama: the firewalls each registration is sent to; empty means `url` is the firewall. */
  readonly targets: readonly string[];
  readonly vsys: string | undefined;
  readonly hostTag: string;
  readonly detectionTag: string;
}

export function panConfigFrom(
  v: FieldValues<typeof PAN_FIELDS>,
  config: RelayConfig,
  source: ClaimsSource,
): PanConfig {
  const u = new URL(v.pan_url);
  if (u.protocol === 'http:' && !config.allowLoopbackUpstreams)
    throw claimsError(source, 'pan_url must use https');
  if (u.search || u.hash) throw claimsError(source, 'pan_url must not contain a query or fragment');
  if (v.pan_host_tag === v.pan_detection_tag) {
    throw claimsError(source, 'pan_detection_tag must differ from pan_host_tag');
  }
  return {
    url: `${u.origin}${u.pathname.replace(/\/+$/, '')}`,
    ...(v.pan_ca_bundle ? { caBundle: v.pan_ca_bundle as string } : {}),
    apiKey: v.pan_api_key,
    targets: v.pan_targets ?? [],
    vsys: v.pan_vsys,
    hostTag: v.pan_host_tag,
    detectionTag: v.pan_detection_tag,
  };
}
