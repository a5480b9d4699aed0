/**
 * Token fields of the `crowdstrike` block client (no VAR client: a new, stable
 * module id). The region decides the API host; the base URL field defaults
 * from it, so the sandbox and the tests can point it at the fake.
 */
import * as z from 'zod/mini';
import type { RelayConfig } from '../../kernel/config.js';
import {
  type ClaimsSource,
  claimsError,
  type FieldSpecs,
  type FieldValues,
  httpsUrl,
} from '../../kernel/fields.js';

export const MODULE = 'crowdstrike';
/** Stored in `VAR ID:<name>:<id>` tags: never change it once shipped. */
export const CLIENT_NAME = 'CrowdStrike Falcon';
export const PRODUCT = 'CrowdStrike Falcon';

export type Region = 'us-1' | 'us-2' | 'eu-1' | 'us-gov-1';

/** API hosts per cloud region (README.md, "Token fields"). */
export const REGIONS: Readonly<Record<Region, string>> = {
  'us-1': 'https://api.crowdstrike.com',
  'us-2': 'https://api.us-2.crowdstrike.com',
  'eu-1': 'https://api.eu-1.crowdstrike.com',
  'us-gov-1': 'https://api.laggar.gcw.crowdstrike.com',
};

export const CROWDSTRIKE_FIELDS = {
  crowdstrike_client_id: {
    schema: z.string().check(z.regex(/^[0-9a-f]{32}$/i, 'must be a 32-character API client ID')),
    label: 'CrowdStrike API client ID',
    help: 'API client with the Hosts read and write scopes',
  },
  crowdstrike_client_secret: {
    schema: z.string().check(z.minLength(8), z.maxLength(256)),
    label: 'CrowdStrike API client secret',
    secret: true,
  },
  crowdstrike_region: {
    schema: z._default(z.enum(['us-1', 'us-2', 'eu-1', 'us-gov-1']), 'us-1'),
    label: 'CrowdStrike cloud region',
    help: 'us-1, us-2, eu-1 or us-gov-1 (sets the API host)',
    options: [
      { value: 'us-1', label: 'US-1 (api.crowdstrike.com)' },
      { value: 'us-2', label: 'US-2 (api.us-2.crowdstrike.com)' },
      { value: 'eu-1', label: 'EU-1 (api.eu-1.crowdstrike.com)' },
      { value: 'us-gov-1', label: 'US-GOV-1 (api.laggar.gcw.crowdstrike.com)' },
    ],
  },
  crowdstrike_api_url: {
    schema: z.optional(httpsUrl),
    label: 'CrowdStrike API base URL',
    help: 'Default from the region, e.g. https://api.crowdstrike.com',
  },
} as const satisfies FieldSpecs;

export interface CrowdStrikeConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly region: Region;
  readonly apiUrl: string;
}

export function crowdstrikeConfigFrom(
  v: FieldValues<typeof CROWDSTRIKE_FIELDS>,
  config: RelayConfig,
  source: ClaimsSource,
): CrowdStrikeConfig {
  const apiUrl = (v.crowdstrike_api_url ?? REGIONS[v.crowdstrike_region]).replace(/\/+$/, '');
  const u = new URL(apiUrl);
  if (u.protocol === 'http:' && !config.allowLoopbackUpstreams) {
    throw claimsError(source, 'crowdstrike_api_url must use https');
  }
  if (u.search || u.hash)
    throw claimsError(source, 'crowdstrike_api_url must not contain a query or fragment');
  return Object.freeze({
    clientId: v.crowdstrike_client_id,
    clientSecret: v.crowdstrike_client_secret,
    region: v.crowdstrike_region,
    apiUrl,
  });
}
