/**
 * The Vectra vendor's configuration, read from the verified token's flat
 * `vectra_*` claims. It picks the API flavour (on-prem v2.5 or the v3
 * platform API), the credentials, and the VAR tag/group names the respond
 * code and the automated-response engine use. A half-set configuration fails
 * with an `authorization error` naming the bad field; a missing `vectra_url`
 * means "not configured".
 */
import * as z from 'zod/mini';
import type { RelayConfig } from '../../kernel/config.js';
import type { Claims } from '../../kernel/context.js';
import { type ClaimsSource, claimsError, type FieldSpecs } from '../../kernel/fields.js';
import { validateUpstreamUrl } from '../../kernel/upstream/url.js';

export type VectraApiVersion = 'v2.5' | 'v3';

/** How requests are authenticated: a v2.5 API token, or OAuth2 client credentials. */
export type VectraAuth =
  | { readonly kind: 'token'; readonly token: string }
  | {
      readonly kind: 'oauth';
      readonly clientId: string;
      readonly clientSecret: string;
      /** `<url>/oauth2/token` (v3) or `<url>/api/v2.5/oauth2/token` (v2.5). */
      readonly tokenUrl: string;
      /** v3 hands out refresh tokens; v2.5 does not. */
      readonly useRefreshToken: boolean;
    };

export interface VectraConfig {
  /** Brain base URL without trailing slash, e.g. `https://brain.example.com`. */
  readonly url: string;
  readonly apiVersion: VectraApiVersion;
  /** `<url>/api/v2.5` or `<url>/api/v3.4`. */
  readonly apiBase: string;
  readonly auth: VectraAuth;
  /** Base for links shown to analysts (`vectra_ui_url`, else `vectra_url`). */
  readonly uiUrl: string;
  readonly blockHostTag: string;
  readonly unblockHostTag: string;
  readonly blockAccountTag: string;
  readonly unblockAccountTag: string;
  readonly noBlockHostGroup: string;
  readonly noBlockAccountGroup: string;
  /**
   * v3.5+ brains (`vectra_api_version=v3.5`): detections are closed with
   * `PATCH /api/v3.5/detections/close` (reason remediated or benign). Every
   * other call stays on `/api/v3.4`; v2.5 and v3.0–3.4 mark detections fixed.
   */
  readonly closeDetections: boolean;
  /** Vectra user id that triage assignments go to (`vectra_assignee_id`); none: no assignment actions. */
  readonly assigneeId: number | undefined;
}

export const VECTRA_DEFAULTS = {
  blockHostTag: 'vectra_host_block',
  unblockHostTag: 'vectra_host_unblock',
  blockAccountTag: 'vectra_account_block',
  unblockAccountTag: 'vectra_account_unblock',
  noBlockHostGroup: 'NoBlock',
  noBlockAccountGroup: 'NoBlock',
} as const;

const text = z.string().check(z.minLength(1), z.maxLength(4096));
const name = (fallback: string) => z._default(z.string().check(z.minLength(1), z.maxLength(256)), fallback);

/** The Vectra fields, as the module form and `npm run jwt` show them; `vectra_url` enables the vendor. */
export const VECTRA_FIELDS = {
  vectra_url: {
    schema: z.optional(text),
    label: 'Vectra Detect URL',
    help: 'https://brain.example.com or https://<tenant>.<region>.portal.vectra.ai',
  },
  vectra_api_version: {
    schema: z.optional(z.enum(['v2.5', 'v3', 'v3.5'])),
    label: 'Vectra API version',
    help: 'e.g. v2.5 (Detect appliance), v3 (Vectra AI platform) or v3.5 (platform with detection close)',
  },
  vectra_token: {
    schema: z.optional(text),
    label: 'Vectra API token',
    help: 'API token (API v2.x); leave empty when using a client ID and secret',
    secret: true,
  },
  vectra_client_id: {
    schema: z.optional(text),
    label: 'Vectra API client ID',
    help: 'OAuth API client ID; use with the client secret instead of a token',
  },
  vectra_client_secret: { schema: z.optional(text), label: 'Vectra API client secret', secret: true },
  vectra_ui_url: {
    schema: z.optional(text),
    label: 'Vectra UI URL',
    help: 'Base URL for links back to Vectra, when it differs from the API URL',
  },
  vectra_block_host_tag: { schema: name(VECTRA_DEFAULTS.blockHostTag), label: 'Host block tag' },
  vectra_unblock_host_tag: { schema: name(VECTRA_DEFAULTS.unblockHostTag), label: 'Host unblock tag' },
  vectra_block_account_tag: { schema: name(VECTRA_DEFAULTS.blockAccountTag), label: 'Account block tag' },
  vectra_unblock_account_tag: {
    schema: name(VECTRA_DEFAULTS.unblockAccountTag),
    label: 'Account unblock tag',
  },
  vectra_no_block_host_group: {
    schema: name(VECTRA_DEFAULTS.noBlockHostGroup),
    label: 'Never-block host group',
  },
  vectra_no_block_account_group: {
    schema: name(VECTRA_DEFAULTS.noBlockAccountGroup),
    label: 'Never-block account group',
  },
  vectra_assignee_id: {
    schema: z.optional(z.string().check(z.regex(/^[1-9]\d{0,11}$/))),
    label: 'Vectra user ID for triage assignments',
    help: 'Numeric id of the Vectra user that triage assignments go to; empty: no assignment actions',
  },
} as const satisfies FieldSpecs;

const VectraClaimsSchema = z.object(
  Object.fromEntries(Object.entries(VECTRA_FIELDS).map(([k, f]) => [k, f.schema])) as {
    [K in keyof typeof VECTRA_FIELDS]: (typeof VECTRA_FIELDS)[K]['schema'];
  },
);

const API_PATH: Record<VectraApiVersion, string> = { 'v2.5': '/api/v2.5', v3: '/api/v3.4' };

/**
 * Reads the Vectra fields from the claims. `undefined` when `vectra_url` is
 * absent; throws `authorization error` naming the field when something is
 * missing or malformed.
 */
export function parseVectraConfig(
  claims: Claims,
  config: RelayConfig,
  source: ClaimsSource = 'jwt',
): VectraConfig | undefined {
  const payloadError = (detail: string) => claimsError(source, detail);
  const picked: Record<string, string> = {};
  for (const [key, value] of Object.entries(claims)) {
    if (key.startsWith('vectra_') && typeof value === 'string' && value.trim() !== '') {
      picked[key] = value.trim();
    }
  }
  if (picked.vectra_url === undefined) return undefined;
  const parsed = VectraClaimsSchema.safeParse(picked);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? 'vectra_url');
    throw payloadError(`${field} is invalid`);
  }
  const c = parsed.data;
  const url = validateUpstreamUrl(c.vectra_url ?? picked.vectra_url, 'vectra_url', config, source);
  const uiUrl =
    c.vectra_ui_url === undefined
      ? url
      : validateUpstreamUrl(c.vectra_ui_url, 'vectra_ui_url', config, source);
  // v3.5 is the v3 flavour plus detection close; the relay's other calls stay on v3.4.
  const named = c.vectra_api_version === 'v3.5' ? 'v3' : c.vectra_api_version;
  const apiVersion: VectraApiVersion =
    named ?? (new URL(url).hostname.endsWith('portal.vectra.ai') ? 'v3' : 'v2.5');
  return Object.freeze({
    url,
    apiVersion,
    apiBase: `${url}${API_PATH[apiVersion]}`,
    auth: pickAuth(c, url, apiVersion, payloadError),
    uiUrl,
    blockHostTag: c.vectra_block_host_tag,
    unblockHostTag: c.vectra_unblock_host_tag,
    blockAccountTag: c.vectra_block_account_tag,
    unblockAccountTag: c.vectra_unblock_account_tag,
    noBlockHostGroup: c.vectra_no_block_host_group,
    noBlockAccountGroup: c.vectra_no_block_account_group,
    closeDetections: c.vectra_api_version === 'v3.5',
    assigneeId: c.vectra_assignee_id === undefined ? undefined : Number(c.vectra_assignee_id),
  });
}

function pickAuth(
  c: z.infer<typeof VectraClaimsSchema>,
  url: string,
  version: VectraApiVersion,
  payloadError: (detail: string) => Error,
): VectraAuth {
  const { vectra_client_id: id, vectra_client_secret: secret, vectra_token: token } = c;
  if (id !== undefined && secret === undefined) throw payloadError('vectra_client_secret is missing');
  if (secret !== undefined && id === undefined) throw payloadError('vectra_client_id is missing');
  if (id !== undefined && secret !== undefined) {
    const tokenUrl = version === 'v3' ? `${url}/oauth2/token` : `${url}/api/v2.5/oauth2/token`;
    return { kind: 'oauth', clientId: id, clientSecret: secret, tokenUrl, useRefreshToken: version === 'v3' };
  }
  if (version === 'v3') throw payloadError('vectra_client_id and vectra_client_secret are missing');
  if (token === undefined) throw payloadError('vectra_token is missing');
  return { kind: 'token', token };
}
