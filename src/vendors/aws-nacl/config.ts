/**
 * The NACL blocker's token fields, checked with zod/mini. These claim names are
 * a public interface (XDR module forms write them): `aws_region`,
 * `aws_nacl_ids`, `aws_nacl_direction`, `aws_nacl_rule_range`, `aws_role_arn`,
 * `aws_external_id`, `aws_nacl_dry_run`. The EC2 endpoint is deliberately not
 * among them: a token must never be able to send signed AWS requests elsewhere.
 * Any problem is an `authorization error` naming the field, never its value.
 */
import * as z from 'zod/mini';
import { type BlockPolicy, type Cidr, parseCidr } from '../../kernel/cidr.js';
import type { RelayConfig } from '../../kernel/config.js';
import type { Claims } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import {
  boolString,
  type ClaimsSource,
  claimsError,
  csvOf,
  type FieldSpecs,
  type FieldValues,
  parseFields,
} from '../../kernel/fields.js';

export type Direction = 'egress' | 'ingress';

export interface NaclConfig {
  readonly region: string;
  readonly naclIds: readonly string[];
  readonly directions: readonly Direction[];
  /** The owned rule-number band; nothing outside it is ever written or deleted. */
  readonly band: { readonly lo: number; readonly hi: number };
  readonly role?: { readonly arn: string; readonly externalId?: string };
  readonly dryRun: boolean;
  readonly policy: BlockPolicy;
  readonly timeoutMs: number;
  /** STS RoleSessionName: stage and module, so CloudTrail in the target account names us. */
  readonly sessionName: string;
}

export const VENDOR_ID = 'aws_nacl';
export const NACL_ID = /^acl-[0-9a-f]{8,17}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** A token may name a handful of NACLs; more would multiply every call. */
const MAX_NACLS = 10;

const csv = (v: string) => [
  ...new Set(
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
];

/** The NACL fields, as the module form and `npm run jwt` show them. */
export const NACL_FIELDS = {
  aws_region: {
    schema: z.string().check(z.regex(REGION)),
    label: 'AWS region',
    help: 'Region of the network ACLs, e.g. us-east-1',
  },
  aws_nacl_ids: {
    schema: csvOf(z.string().check(z.regex(NACL_ID)), MAX_NACLS),
    label: 'AWS network ACL IDs',
    help: 'Comma-separated, e.g. acl-0123456789abcdef0',
  },
  aws_nacl_direction: {
    schema: z._default(z.enum(['egress', 'ingress', 'both']), 'both'),
    label: 'AWS NACL direction',
    help: 'ingress, egress or both',
    options: [
      { value: 'ingress', label: 'Ingress (inbound)' },
      { value: 'egress', label: 'Egress (outbound)' },
      { value: 'both', label: 'Both directions' },
    ],
  },
  aws_nacl_rule_range: {
    // Unset means the deployment's whole band (NACL_RULE_BAND).
    schema: z.optional(z.string().check(z.regex(/^\s*\d{1,5}\s*-\s*\d{1,5}\s*$/))),
    label: 'AWS NACL rule number range',
    help: "e.g. 1-99: narrows the deployment's band (must sort before the NACL's allow rules)",
  },
  aws_role_arn: {
    schema: z.optional(z.string().check(z.regex(ROLE_ARN))),
    label: 'AWS role ARN to assume',
    help: "Leave empty to use the relay's own role",
  },
  aws_external_id: {
    schema: z.optional(z.string().check(z.regex(EXTERNAL_ID))),
    label: 'AWS role external ID',
  },
  aws_nacl_dry_run: {
    schema: z._default(boolString, false),
    label: 'AWS NACL dry run',
    help: 'true or false',
    kind: 'boolean',
  },
} as const satisfies FieldSpecs;

/** True when the token lists this vendor in `block_clients` (comma-separated). */
export function isEnabled(claims: Claims): boolean {
  return csv(claims.block_clients ?? '').some((c) => c.toLowerCase() === VENDOR_ID);
}

/** Reads and validates the NACL fields; throws naming the first bad one, never its value. */
export function parseNaclConfig(
  claims: Claims,
  config: RelayConfig,
  source: ClaimsSource = 'jwt',
): NaclConfig {
  return naclConfigFrom(parseFields(NACL_FIELDS, claims, source), config, source);
}

export function naclConfigFrom(
  c: FieldValues<typeof NACL_FIELDS>,
  config: RelayConfig,
  source: ClaimsSource,
): NaclConfig {
  // The deployment owns the band (IAM cannot restrict rule numbers): a token may only narrow it.
  const owned = config.naclRuleBand;
  const [lo = 0, hi = 0] = c.aws_nacl_rule_range
    ? c.aws_nacl_rule_range.split('-').map((s) => Number(s.trim()))
    : [owned.lo, owned.hi];
  if (lo < 1 || hi > 32766 || lo > hi) {
    throw claimsError(source, 'aws_nacl_rule_range must be lo-hi within 1-32766');
  }
  if (lo < owned.lo || hi > owned.hi) {
    throw claimsError(
      source,
      `aws_nacl_rule_range ${lo}-${hi} is outside the deployment's owned band ${owned.lo}-${owned.hi} (NACL_RULE_BAND); it may only narrow it`,
    );
  }
  if (c.aws_external_id !== undefined && c.aws_role_arn === undefined) {
    throw claimsError(source, 'aws_external_id needs aws_role_arn');
  }
  const directions: Direction[] =
    c.aws_nacl_direction === 'both' ? ['egress', 'ingress'] : [c.aws_nacl_direction];
  return Object.freeze({
    region: c.aws_region,
    naclIds: Object.freeze(c.aws_nacl_ids),
    directions: Object.freeze(directions),
    band: Object.freeze({ lo, hi }),
    ...(c.aws_role_arn
      ? {
          role: Object.freeze({
            arn: c.aws_role_arn,
            ...(c.aws_external_id ? { externalId: c.aws_external_id } : {}),
          }),
        }
      : {}),
    dryRun: c.aws_nacl_dry_run,
    policy: policyFrom(config),
    timeoutMs: config.upstreamTimeoutMs,
    sessionName: sessionName(config.stage),
  });
}

/** `vectra-xdr-relay.<stage>.aws_nacl`, within STS's 64 characters of `[\w+=,.@-]`. */
export const sessionName = (stage: string): string =>
  `vectra-xdr-relay.${stage.replace(/[^\w+=,.@-]/g, '-')}.${VENDOR_ID}`.slice(0, 64);

const policies = new WeakMap<RelayConfig, BlockPolicy>();

/** The deployment's refusal rules; parsed once per config object. */
export function policyFrom(config: RelayConfig): BlockPolicy {
  const cached = policies.get(config);
  if (cached) return cached;
  const protectedCidrs: Cidr[] = config.naclProtectedCidrs.map((text) => {
    const c = parseCidr(text);
    // A typo here would silently unprotect a range, so refuse to work at all.
    if (!c) throw new RelayError('internal error', `NACL_PROTECTED_CIDRS holds an invalid CIDR: ${text}`);
    return c;
  });
  const policy = Object.freeze({
    minPrefixV4: config.naclMinPrefixV4,
    minPrefixV6: config.naclMinPrefixV6,
    protectedCidrs: Object.freeze(protectedCidrs),
  });
  policies.set(config, policy);
  return policy;
}
