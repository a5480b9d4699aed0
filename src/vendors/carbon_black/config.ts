/**
 * The Carbon Black Cloud token fields: the API host (the console's region,
 * e.g. `https://defense-prod05.conferdeploy.net`), the org key and an API key
 * (id + secret, sent as `X-Auth-Token: <secret>/<id>`). Any problem is an
 * `authorization error` naming the field, never its value.
 */
import * as z from 'zod/mini';
import type { RelayConfig } from '../../kernel/config.js';
import type { Claims } from '../../kernel/context.js';
import {
  type ClaimsSource,
  claimsError,
  type FieldSpecs,
  type FieldValues,
  httpsUrl,
  parseFields,
} from '../../kernel/fields.js';

export const MODULE = 'carbon_black';
/** Display name stored in `VAR ID:Carbon Black:<id>` tags. Never change it. */
export const CLIENT_NAME = 'Carbon Black';
export const PRODUCT = 'Carbon Black Cloud';

export interface CbConfig {
  /** API origin without a trailing slash. */
  readonly url: string;
  readonly orgKey: string;
  readonly apiId: string;
  readonly apiSecret: string;
}

// Org keys and API ids are short upper-case alphanumerics in the console; both
// land in a path or a header, so nothing else is accepted.
const ORG_KEY = /^[A-Za-z0-9]{1,32}$/;
const API_ID = /^[A-Za-z0-9]{4,64}$/;
// The secret is joined with `/` into a header: no slash, no whitespace, no control characters.
const API_SECRET = /^[A-Za-z0-9]{8,128}$/;

export const CB_FIELDS = {
  carbon_black_url: {
    schema: httpsUrl,
    label: 'Carbon Black Cloud API URL',
    help: 'The API host of your console, e.g. https://defense-prod05.conferdeploy.net',
  },
  carbon_black_org_key: {
    schema: z.string().check(z.regex(ORG_KEY, 'must be the org key shown under Settings > API Access')),
    label: 'Carbon Black Cloud org key',
    help: 'Settings > API Access > API Keys, e.g. 7DESJ9GN',
  },
  carbon_black_api_id: {
    schema: z.string().check(z.regex(API_ID, 'must be the API ID of an API key')),
    label: 'Carbon Black Cloud API ID',
    help: 'API ID of a custom key with device quarantine (and live response for collection) permissions',
  },
  carbon_black_api_secret: {
    schema: z.string().check(z.regex(API_SECRET, 'must be the API secret key of the same API key')),
    label: 'Carbon Black Cloud API secret key',
    secret: true,
  },
} as const satisfies FieldSpecs;

const isLoopback = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '[::1]';

export function cbConfigFrom(
  v: FieldValues<typeof CB_FIELDS>,
  config: RelayConfig,
  source: ClaimsSource,
): CbConfig {
  const u = new URL(v.carbon_black_url);
  if (u.protocol === 'http:' && !(config.allowLoopbackUpstreams && isLoopback(u.hostname))) {
    throw claimsError(source, 'carbon_black_url must use https');
  }
  if (u.search !== '' || u.hash !== '' || (u.pathname !== '/' && u.pathname !== '')) {
    throw claimsError(source, 'carbon_black_url must be the bare API host, without a path or query');
  }
  return Object.freeze({
    url: u.origin,
    orgKey: v.carbon_black_org_key,
    apiId: v.carbon_black_api_id,
    apiSecret: v.carbon_black_api_secret,
  });
}

/** True when the claims list this client in `block_clients` (the registry validates the list itself). */
export const isListed = (claims: Claims): boolean =>
  (claims.block_clients ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .includes(MODULE);

/** The client's settings straight from the claims (for the collection, which is not a block call). */
export const cbConfigOf = (claims: Claims, config: RelayConfig, source: ClaimsSource = 'jwt'): CbConfig =>
  cbConfigFrom(parseFields(CB_FIELDS, claims, source), config, source);
