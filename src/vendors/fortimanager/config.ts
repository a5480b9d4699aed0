/**
 * The `fortimanager` client's token fields and settings: one FortiManager,
 * one ADOM, one policy package (installed to its targets, or to a listed
 * scope), two address groups, and either an API key (FortiManager 7.2.2+)
 * or an administrator's login.
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

export const MODULE = 'fortimanager';
/** VAR's display name (`third_party_clients/fortimanager/fortimanager.py`); stored in tags, never change it. */
export const CLIENT_NAME = 'FMG Client';
export const PRODUCT = 'FortiManager';

const NAME = /^[^"\\<>&\s/][^"\\<>&/]{0,77}[^"\\<>&\s/]?$/;
const ADOM = /^[A-Za-z0-9_.-]{1,35}$/;
const SCOPE = /^[A-Za-z0-9_.-]{1,35}(\/[A-Za-z0-9_-]{1,31})?$/;
const API_KEY = /^[A-Za-z0-9._~+/=-]{16,128}$/;

export const FORTIMANAGER_FIELDS = {
  fortimanager_url: {
    schema: httpsUrl,
    label: 'FortiManager URL',
    help: 'e.g. https://fmg.corp.example (the JSON-RPC endpoint is <url>/jsonrpc)',
  },
  fortimanager_api_key: {
    schema: z.optional(z.string().check(z.regex(API_KEY))),
    label: 'FortiManager API key',
    help: 'API user key (FortiManager 7.2.2+); or give a username and password instead',
    secret: true,
  },
  fortimanager_username: {
    schema: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    label: 'FortiManager API administrator',
    help: 'With rpc-permit read-write; used when no API key is given',
  },
  fortimanager_password: {
    schema: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    label: 'FortiManager API administrator password',
    secret: true,
  },
  fortimanager_adom: {
    schema: z._default(z.string().check(z.regex(ADOM)), 'root'),
    label: 'FortiManager ADOM',
    help: 'The ADOM holding the groups and the policy package (default root)',
  },
  fortimanager_package: {
    schema: z.string().check(z.regex(NAME)),
    label: 'FortiManager policy package',
    help: 'The package with the deny policy; installed after every change',
  },
  fortimanager_scope: {
    schema: z.optional(csvOf(z.string().check(z.regex(SCOPE)), 50)),
    label: 'FortiManager install scope',
    help: 'Comma-separated device or device/vdom; empty: the package installation targets',
  },
  fortimanager_src_group: {
    schema: z._default(z.string().check(z.regex(NAME)), 'Internal-Block'),
    label: 'FortiManager source address group (hosts)',
  },
  fortimanager_dst_group: {
    schema: z._default(z.string().check(z.regex(NAME)), 'External-Block'),
    label: 'FortiManager destination address group (detections, static IPs)',
  },
  fortimanager_ca_bundle: caBundleField('FortiManager'),
} as const satisfies FieldSpecs;

export type Side = 'src' | 'dst';

export type FmgAuth =
  | { readonly kind: 'key'; readonly apiKey: string }
  | { readonly kind: 'login'; readonly user: string; readonly password: string };

export interface FortiManagerConfig {
  readonly url: string;
  /** PEM CA bundle FortiManager's certificate chains to (none: public CAs). */
  readonly caBundle?: string;
  readonly auth: FmgAuth;
  readonly adom: string;
  readonly pkg: string;
  /** Install targets; empty: the package's own installation targets. */
  readonly scope: readonly { readonly name: string; readonly vdom: string }[];
  readonly groups: Readonly<Record<Side, string>>;
}

export function fortiManagerConfigFrom(
  v: FieldValues<typeof FORTIMANAGER_FIELDS>,
  config: RelayConfig,
  source: ClaimsSource,
): FortiManagerConfig {
  const url = validateUpstreamUrl(v.fortimanager_url, 'fortimanager_url', config, source);
  let auth: FmgAuth;
  if (v.fortimanager_api_key !== undefined) {
    if (v.fortimanager_password !== undefined) {
      throw claimsError(source, 'fortimanager_api_key and fortimanager_password are exclusive');
    }
    auth = { kind: 'key', apiKey: v.fortimanager_api_key };
  } else if (v.fortimanager_username !== undefined && v.fortimanager_password !== undefined) {
    auth = { kind: 'login', user: v.fortimanager_username, password: v.fortimanager_password };
  } else {
    throw claimsError(
      source,
      'fortimanager_api_key, or fortimanager_username and fortimanager_password, is missing',
    );
  }
  return Object.freeze({
    url,
    ...(v.fortimanager_ca_bundle ? { caBundle: v.fortimanager_ca_bundle as string } : {}),
    auth: Object.freeze(auth),
    adom: v.fortimanager_adom,
    pkg: v.fortimanager_package,
    scope: Object.freeze(
      (v.fortimanager_scope ?? []).map((s) => {
        const [name, vdom = 'root'] = s.split('/');
        return Object.freeze({ name: name as string, vdom });
      }),
    ),
    groups: Object.freeze({ src: v.fortimanager_src_group, dst: v.fortimanager_dst_group }),
  });
}
