/**
 * Token fields of the `microsoft_defender` block client. The cloud choice
 * (commercial, GCC, GCC High, DoD) decides the sign-in host, the API host and
 * the token scope (the API's app id URI); the two URLs are fields defaulting
 * from it, so the sandbox and the tests can point them at the fake. The scope
 * never follows a URL field: a token cannot ask for another API's audience.
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

export const MODULE = 'microsoft_defender';
/** Stored in `VAR ID:<name>:<id>` tags: never change it once shipped. */
export const CLIENT_NAME = 'Microsoft Defender';
export const PRODUCT = 'Microsoft Defender for Endpoint';

export type Cloud = 'commercial' | 'gcc' | 'gcc_high' | 'dod';
export type IsolationType = 'Full' | 'Selective';

/** Hosts per cloud (README.md, "Token fields"). */
export const CLOUDS: Readonly<Record<Cloud, { login: string; api: string; scope: string }>> = {
  commercial: {
    login: 'https://login.microsoftonline.com',
    api: 'https://api.securitycenter.microsoft.com',
    scope: 'https://api.securitycenter.microsoft.com/.default',
  },
  gcc: {
    login: 'https://login.microsoftonline.com',
    api: 'https://api-gcc.securitycenter.microsoft.us',
    scope: 'https://api-gcc.securitycenter.microsoft.us/.default',
  },
  gcc_high: {
    login: 'https://login.microsoftonline.us',
    api: 'https://api-gov.securitycenter.microsoft.us',
    scope: 'https://api-gov.securitycenter.microsoft.us/.default',
  },
  dod: {
    login: 'https://login.microsoftonline.us',
    api: 'https://api-gov.securitycenter.microsoft.us',
    scope: 'https://api-gov.securitycenter.microsoft.us/.default',
  },
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A tenant GUID or a verified domain (`contoso.onmicrosoft.com`). */
const TENANT = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/i;

export const DEFENDER_FIELDS = {
  microsoft_defender_tenant_id: {
    schema: z.string().check(z.regex(TENANT, 'must be a tenant GUID or domain')),
    label: 'Microsoft Defender tenant ID',
    help: 'Microsoft Entra tenant (directory) ID or its domain',
  },
  microsoft_defender_client_id: {
    schema: z.string().check(z.regex(GUID, 'must be an application (client) GUID')),
    label: 'Microsoft Defender application (client) ID',
    help: 'App registration with the Machine.Isolate and Machine.Read.All application permissions',
  },
  microsoft_defender_client_secret: {
    schema: z.string().check(z.minLength(8), z.maxLength(1024)),
    label: 'Microsoft Defender client secret',
    secret: true,
  },
  microsoft_defender_cloud: {
    schema: z._default(z.enum(['commercial', 'gcc', 'gcc_high', 'dod']), 'commercial'),
    label: 'Microsoft Defender cloud',
    help: 'commercial, gcc, gcc_high or dod (sets the sign-in and API hosts)',
    options: [
      { value: 'commercial', label: 'Commercial' },
      { value: 'gcc', label: 'US Government GCC' },
      { value: 'gcc_high', label: 'US Government GCC High' },
      { value: 'dod', label: 'US Government DoD' },
    ],
  },
  microsoft_defender_api_url: {
    schema: z.optional(httpsUrl),
    label: 'Microsoft Defender API URL',
    help: 'Default from the cloud, e.g. https://api.securitycenter.microsoft.com (or a regional us./eu./uk.api.security.microsoft.com)',
  },
  microsoft_defender_login_url: {
    schema: z.optional(httpsUrl),
    label: 'Microsoft Entra sign-in URL',
    help: 'Default from the cloud, e.g. https://login.microsoftonline.com',
  },
  microsoft_defender_isolation_type: {
    schema: z._default(z.enum(['Full', 'Selective']), 'Full'),
    label: 'Microsoft Defender isolation type',
    help: 'Full (Windows 10 1703+, Windows 11, Linux) or Selective (Windows 10 1709+, Windows 11)',
    options: [
      { value: 'Full', label: 'Full isolation' },
      { value: 'Selective', label: 'Selective isolation (Outlook, Teams, Skype stay connected)' },
    ],
  },
} as const satisfies FieldSpecs;

export interface DefenderConfig {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly cloud: Cloud;
  readonly apiUrl: string;
  readonly tokenUrl: string;
  readonly scope: string;
  readonly isolationType: IsolationType;
}

const origin = (url: string) => url.replace(/\/+$/, '');

export function defenderConfigFrom(
  v: FieldValues<typeof DEFENDER_FIELDS>,
  config: RelayConfig,
  source: ClaimsSource,
): DefenderConfig {
  const cloud = CLOUDS[v.microsoft_defender_cloud];
  const apiUrl = origin(v.microsoft_defender_api_url ?? cloud.api);
  const loginUrl = origin(v.microsoft_defender_login_url ?? cloud.login);
  for (const [field, url] of [
    ['microsoft_defender_api_url', apiUrl],
    ['microsoft_defender_login_url', loginUrl],
  ] as const) {
    const u = new URL(url);
    if (u.protocol === 'http:' && !config.allowLoopbackUpstreams)
      throw claimsError(source, `${field} must use https`);
    if (u.search || u.hash) throw claimsError(source, `${field} must not contain a query or fragment`);
  }
  return Object.freeze({
    tenantId: v.microsoft_defender_tenant_id,
    clientId: v.microsoft_defender_client_id,
    clientSecret: v.microsoft_defender_client_secret,
    cloud: v.microsoft_defender_cloud,
    apiUrl,
    tokenUrl: `${loginUrl}/${encodeURIComponent(v.microsoft_defender_tenant_id)}/oauth2/v2.0/token`,
    scope: cloud.scope,
    isolationType: v.microsoft_defender_isolation_type,
  });
}
