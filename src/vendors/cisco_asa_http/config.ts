/**
 * The `cisco_asa_http` client's token fields: the ASA's HTTPS management URL,
 * a local (or AAA) user, the User-Agent the ASA allows Basic auth from, and
 * the customer's object-group that their deny ACL uses. Problems name the
 * field, never its value.
 */
import * as z from 'zod/mini';
import type { RelayConfig } from '../../kernel/config.js';
import {
  type ClaimsSource,
  caBundleField,
  claimsError,
  type FieldSpecs,
  type FieldValues,
  httpsUrl,
} from '../../kernel/fields.js';

export const ASA_MODULE = 'cisco_asa_http';
/** VAR's display name (`third_party_clients/cisco_asa_http/asa_http.py`), stored in `VAR ID:` tags. */
export const ASA_CLIENT_NAME = 'ASA HTTP Client';
export const ASA_PRODUCT = 'Cisco ASA';

/** ASA object and object-group names: no spaces, at most 64 characters. */
const ASA_NAME = /^[A-Za-z0-9_.+-]{1,64}$/;

export const ASA_FIELDS = {
  cisco_asa_http_url: {
    schema: httpsUrl,
    label: 'Cisco ASA HTTPS management URL',
    help: 'https://<ASA management address>[:port]',
  },
  cisco_asa_http_username: {
    schema: z.string().check(z.regex(/^[^\s:]{1,64}$/)),
    label: 'Cisco ASA username',
  },
  cisco_asa_http_password: {
    schema: z.string().check(z.minLength(1), z.maxLength(512)),
    label: 'Cisco ASA password',
    secret: true,
  },
  cisco_asa_http_user_agent: {
    schema: z._default(
      z.string().check(z.regex(/^[\x21-\x7e][\x20-\x7e]{0,62}[\x21-\x7e]$/)),
      'vectra-relay',
    ),
    label: 'Cisco ASA allowed User-Agent',
    help: 'As configured with: http server basic-auth-client <this value>',
  },
  cisco_asa_http_group: {
    schema: z.string().check(z.regex(ASA_NAME)),
    label: 'Cisco ASA object-group for blocked addresses',
    help: 'An existing object-group network that your deny access-list uses (both directions)',
  },
  cisco_asa_http_ca_bundle: caBundleField('Cisco ASA'),
} as const satisfies FieldSpecs;

export interface AsaConfig {
  readonly url: string;
  /** PEM CA bundle the ASA's certificate chains to (none: public CAs). */
  readonly caBundle?: string;
  readonly username: string;
  readonly password: string;
  readonly userAgent: string;
  readonly group: string;
}

export function asaConfigFrom(
  v: FieldValues<typeof ASA_FIELDS>,
  config: RelayConfig,
  source: ClaimsSource,
): AsaConfig {
  const u = new URL(v.cisco_asa_http_url);
  if (u.protocol === 'http:' && !config.allowLoopbackUpstreams) {
    throw claimsError(source, 'cisco_asa_http_url must use https');
  }
  if (u.search || u.hash || u.pathname.replace(/\/+$/, '') !== '') {
    throw claimsError(source, 'cisco_asa_http_url must be the ASA origin, without a path or query');
  }
  if (v.cisco_asa_http_group.startsWith('vectra-relay-')) {
    throw claimsError(source, 'cisco_asa_http_group must be your own group, not one of our object names');
  }
  return {
    url: u.origin,
    ...(v.cisco_asa_http_ca_bundle ? { caBundle: v.cisco_asa_http_ca_bundle as string } : {}),
    username: v.cisco_asa_http_username,
    password: v.cisco_asa_http_password,
    userAgent: v.cisco_asa_http_user_agent,
    group: v.cisco_asa_http_group,
  };
}
