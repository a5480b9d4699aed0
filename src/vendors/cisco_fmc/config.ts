/**
 * The `cisco_fmc` client's token fields: the FMC URL, an API user's
 * credentials, an optional domain, and the names of our two dynamic objects.
 * Problems name the field, never its value.
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

export const FMC_MODULE = 'cisco_fmc';
/** VAR's display name (`third_party_clients/cisco_fmc/fmc.py`), stored in `VAR ID:` tags: never change it. */
export const FMC_CLIENT_NAME = 'FMC Client';
export const FMC_PRODUCT = 'Cisco Secure Firewall Management Center';

/** FMC's rule for dynamic object names (`^[a-zA-Z0-9_.+-]{1,128}$`), with our prefix. */
export const FMC_OBJECT_NAME = /^vectra-relay-[a-zA-Z0-9_.+-]{1,115}$/;
/** Names of network groups and devices as FMC shows them (letters, digits, space, `_.+-`). */
const FMC_NAME = /^[A-Za-z0-9_.+-][A-Za-z0-9 _.+-]{0,63}$/;

export const FMC_FIELDS = {
  cisco_fmc_url: {
    schema: httpsUrl,
    label: 'Cisco FMC URL',
    help: 'https://<FMC address>',
  },
  cisco_fmc_username: {
    schema: z.string().check(z.minLength(1), z.maxLength(128)),
    label: 'Cisco FMC API username',
  },
  cisco_fmc_password: {
    schema: z.string().check(z.minLength(1), z.maxLength(1024)),
    label: 'Cisco FMC API password',
    secret: true,
  },
  cisco_fmc_domain: {
    schema: z.optional(z.string().check(z.regex(/^[\w .\-/]{1,256}$/))),
    label: 'Cisco FMC domain',
    help: 'e.g. Global/Branch; empty for the user’s default domain',
  },
  cisco_fmc_host_object: {
    schema: z._default(z.string().check(z.regex(FMC_OBJECT_NAME)), 'vectra-relay-block-hosts'),
    label: 'Cisco FMC dynamic object for blocked hosts',
    help: 'Used as source in your block rule; starts with vectra-relay-',
  },
  cisco_fmc_detection_object: {
    schema: z._default(z.string().check(z.regex(FMC_OBJECT_NAME)), 'vectra-relay-block-dst'),
    label: 'Cisco FMC dynamic object for blocked destinations',
    help: 'Used as destination in your block rule; starts with vectra-relay-',
  },
  cisco_fmc_mode: {
    schema: z._default(z.enum(['dynamic', 'legacy']), 'dynamic'),
    label: 'Cisco FMC block mode',
    help: 'dynamic (dynamic objects, no deployment) or legacy (host objects in a network group, then a deployment)',
    options: [
      { value: 'dynamic', label: 'Dynamic objects (no deployment)' },
      { value: 'legacy', label: 'Host objects and a deployment (legacy)' },
    ],
  },
  cisco_fmc_network_group: {
    schema: z.optional(z.string().check(z.regex(FMC_NAME))),
    label: 'Cisco FMC network group (legacy mode)',
    help: 'Your existing network group used by your block rule',
  },
  cisco_fmc_devices: {
    schema: z.optional(csvOf(z.string().check(z.regex(FMC_NAME)), 20)),
    label: 'Cisco FMC devices to deploy (legacy mode)',
    help: 'Comma-separated device names; a deployment pushes every pending change on them',
  },
  cisco_fmc_ca_bundle: caBundleField('Cisco FMC'),
} as const satisfies FieldSpecs;

/** Legacy mode: our host objects in the customer's network group, then a deployment to these devices. */
export interface FmcLegacy {
  readonly group: string;
  readonly devices: readonly string[];
}

export interface FmcConfig {
  readonly url: string;
  /** PEM CA bundle FMC's certificate chains to (none: public CAs). */
  readonly caBundle?: string;
  readonly username: string;
  readonly password: string;
  readonly domain: string | undefined;
  readonly hostObject: string;
  readonly detectionObject: string;
  readonly legacy: FmcLegacy | undefined;
}

export function fmcConfigFrom(
  v: FieldValues<typeof FMC_FIELDS>,
  config: RelayConfig,
  source: ClaimsSource,
): FmcConfig {
  const u = new URL(v.cisco_fmc_url);
  if (u.protocol === 'http:' && !config.allowLoopbackUpstreams) {
    throw claimsError(source, 'cisco_fmc_url must use https');
  }
  if (u.search || u.hash || u.pathname.replace(/\/+$/, '') !== '') {
    throw claimsError(source, 'cisco_fmc_url must be the FMC origin, without a path or query');
  }
  if (v.cisco_fmc_host_object === v.cisco_fmc_detection_object) {
    throw claimsError(source, 'cisco_fmc_detection_object must differ from cisco_fmc_host_object');
  }
  if (v.cisco_fmc_mode === 'legacy' && (!v.cisco_fmc_network_group || !v.cisco_fmc_devices)) {
    throw claimsError(source, 'cisco_fmc_mode legacy needs cisco_fmc_network_group and cisco_fmc_devices');
  }
  return {
    url: u.origin,
    ...(v.cisco_fmc_ca_bundle ? { caBundle: v.cisco_fmc_ca_bundle as string } : {}),
    username: v.cisco_fmc_username,
    password: v.cisco_fmc_password,
    domain: v.cisco_fmc_domain,
    hostObject: v.cisco_fmc_host_object,
    detectionObject: v.cisco_fmc_detection_object,
    legacy:
      v.cisco_fmc_mode === 'legacy' && v.cisco_fmc_network_group && v.cisco_fmc_devices
        ? { group: v.cisco_fmc_network_group, devices: v.cisco_fmc_devices }
        : undefined,
  };
}
