/**
 * The engine's policy document: every VAR `config.py` setting the policy loop
 * reads, under VAR's own names and with VAR's defaults (vectra.md §2.1), plus
 * a few engine-only safety settings. Parsed with zod/mini; unknown keys are
 * rejected so that a typo (`BLOCK_HOST_TAGS`) fails loudly instead of silently
 * falling back to a default. The mapping to VAR is documented in README.md.
 */
import * as z from 'zod/mini';
import { parseCidr } from '../kernel/cidr.js';
import type { VectraConfig } from '../vendors/vectra/config.js';

export type Condition = 'and' | 'or';

/** VAR's `(threat, "and"|"or", certainty)` tuple, normalised to an object. */
export interface ThreatCertainty {
  readonly threat: number;
  readonly condition: Condition;
  readonly certainty: number;
}

const score = z.number().check(z.gte(0), z.lte(100));
const condition = z.pipe(
  z.string(),
  z.pipe(
    z.transform((v: string) => v.trim().toLowerCase()),
    z.enum(['and', 'or']),
  ),
);

/**
 * Accepts `{threat, condition, certainty}` or VAR's tuple `[threat, "and", certainty]`.
 * `null` disables the rule (VAR skips a scored query whose setting is not a tuple).
 */
const tc = z.nullable(
  z.union([
    z.pipe(
      z.tuple([score, condition, score]),
      z.transform(([threat, cond, certainty]): ThreatCertainty => ({ threat, condition: cond, certainty })),
    ),
    z.strictObject({ threat: score, condition, certainty: score }),
  ]),
);

const DEFAULT_TC: ThreatCertainty = { threat: 100, condition: 'and', certainty: 100 };
const tag = z.string().check(z.minLength(1), z.maxLength(256));
const names = z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.maxLength(200));
const hour = z.int().check(z.gte(0), z.lte(23));
/** VAR's urgency: 0–100 selects, 101 means "disabled", null means "use threat/certainty on v3". */
const urgency = z.nullable(z.int().check(z.gte(0), z.lte(101)));

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const DAY_WORDS = [...DAY_NAMES, 'week', 'weekday', 'weekend'] as const;
const dayWord = z.pipe(
  z.string(),
  z.pipe(
    z.transform((v: string) => v.trim().toLowerCase()),
    z.enum(DAY_WORDS),
  ),
);

/** What the engine can canonicalise (`parseCidr`): no zone ids, no leading zeros in IPv4. */
const staticIp = z
  .string()
  .check(z.refine((v) => parseCidr(v) !== undefined, { message: 'must be an IPv4/IPv6 address or CIDR' }));

export const PolicySchema = z.strictObject({
  THIRD_PARTY_CLIENTS: z.optional(names),
  EXPLICIT_UNBLOCK: z._default(z.boolean(), false),
  BLOCK_DAYS: z._default(z.union([dayWord, z.array(dayWord)]), []),
  BLOCK_START_TIME: z._default(hour, 0),
  BLOCK_END_TIME: z._default(hour, 0),
  SLEEP_MINUTES: z._default(z.int().check(z.gte(1), z.lte(1440)), 5),

  BLOCK_HOST_TAG: z._default(tag, 'vectra_host_block'),
  UNBLOCK_HOST_TAG: z._default(tag, 'vectra_host_unblock'),
  NO_BLOCK_HOST_GROUP_NAME: z._default(z.nullable(tag), 'NoBlock'),
  BLOCK_HOST_GROUP_NAME: z._default(z.nullable(tag), 'Block'),
  BLOCK_HOST_THREAT_CERTAINTY: z._default(tc, DEFAULT_TC),
  BLOCK_HOST_URGENCY: z._default(urgency, 101),
  BLOCK_HOST_DETECTION_TYPES: z._default(names, []),
  BLOCK_HOST_DETECTION_TYPES_MIN_TC_SCORE: z._default(tc, DEFAULT_TC),

  EXTERNAL_BLOCK_HOST_TC: z._default(tc, DEFAULT_TC),
  EXTERNAL_BLOCK_DETECTION_TAG: z._default(tag, 'block'),
  EXTERNAL_UNBLOCK_DETECTION_TAG: z._default(tag, 'unblock'),
  EXTERNAL_BLOCK_DETECTION_TYPES: z._default(names, []),
  STATIC_BLOCK_DESTINATION_IPS: z._default(z.array(staticIp).check(z.maxLength(10_000)), []),

  BLOCK_ACCOUNT_TAG: z._default(tag, 'vectra_account_block'),
  UNBLOCK_ACCOUNT_TAG: z._default(tag, 'vectra_account_unblock'),
  NO_BLOCK_ACCOUNT_GROUP_NAME: z._default(z.nullable(tag), 'NoBlock'),
  BLOCK_ACCOUNT_GROUP_NAME: z._default(z.nullable(tag), 'Block'),
  BLOCK_ACCOUNT_THREAT_CERTAINTY: z._default(tc, DEFAULT_TC),
  BLOCK_ACCOUNT_URGENCY: z._default(urgency, 101),
  BLOCK_ACCOUNT_DETECTION_TYPES: z._default(names, []),
  BLOCK_ACCOUNT_DETECTION_TYPES_MIN_TC_SCORE: z._default(tc, DEFAULT_TC),

  // Engine-only settings (not in VAR).
  MAX_NEW_BLOCKS_PER_RUN: z._default(z.int().check(z.gte(0), z.lte(10_000)), 10),
  BLOCK_TIMEZONE: z._default(
    z.string().check(z.refine(isTimeZone, { message: 'must be an IANA time zone' })),
    'UTC',
  ),
  GROOM: z._default(z.boolean(), false),
  /** Ask the clients to block again every blocked, still matching object (repairs lost elements). */
  RECONCILE_BLOCKED: z._default(z.boolean(), true),
  STATIC_IPS_GROUP_NAME: z._default(tag, 'VAR Static Blocked IPs'),
});

export type PolicyKey = keyof z.infer<typeof PolicySchema>;

export type Policy = z.infer<typeof PolicySchema> & {
  /**
   * The keys the policy document set itself; every other key holds a default.
   * `withVectraClaims` needs it: a claim replaces a default, never a value the
   * document chose.
   */
  readonly explicitKeys: readonly PolicyKey[];
};

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Validates a policy document; throws `PolicyError` naming every bad key. */
export function parsePolicy(input: unknown): Policy {
  const parsed = PolicySchema.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const path = i.path.map(String).join('.') || '(document)';
      return i.code === 'unrecognized_keys'
        ? `unknown key(s) ${i.keys
            .slice(0, 5)
            .map((k) => k.slice(0, 40))
            .join(', ')}`
        : `${path}: ${i.message}`;
    });
    throw new PolicyError(`Invalid engine policy: ${problems.join('; ')}`);
  }
  const given = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const explicitKeys = Object.freeze(
    (Object.keys(parsed.data) as PolicyKey[]).filter(
      (k) => Object.hasOwn(given, k) && given[k] !== undefined,
    ),
  );
  return { ...parsed.data, explicitKeys };
}

/** Parses a policy from JSON text (env `ENGINE_POLICY`, a policy file). */
export function parsePolicyJson(text: string): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PolicyError('Invalid engine policy: not valid JSON');
  }
  return parsePolicy(doc);
}

export const DEFAULT_POLICY: Policy = parsePolicy({});

/** The token's `vectra_*` tag and group names the relay's respond reads (VAR's defaults when absent). */
export type VectraClaimNames = Pick<
  VectraConfig,
  | 'blockHostTag'
  | 'unblockHostTag'
  | 'blockAccountTag'
  | 'unblockAccountTag'
  | 'noBlockHostGroup'
  | 'noBlockAccountGroup'
>;

/** Policy key ← the claim the relay's respond uses for the same thing. */
export const CLAIMED_KEYS = {
  BLOCK_HOST_TAG: 'blockHostTag',
  UNBLOCK_HOST_TAG: 'unblockHostTag',
  BLOCK_ACCOUNT_TAG: 'blockAccountTag',
  UNBLOCK_ACCOUNT_TAG: 'unblockAccountTag',
  NO_BLOCK_HOST_GROUP_NAME: 'noBlockHostGroup',
  NO_BLOCK_ACCOUNT_GROUP_NAME: 'noBlockAccountGroup',
} as const satisfies Partial<Record<PolicyKey, keyof VectraClaimNames>>;

/**
 * The policy the engine runs with a token's claims: for each tag and no-block
 * group key, the policy document's value when it set the key, else the claim
 * (`vectra_block_host_tag`, `vectra_no_block_host_group` …), else VAR's
 * default — `parseVectraConfig` already answers VAR's default for an absent
 * claim. So the relay's respond ("Tag host for automated blocking", its
 * no-block guard) and the engine read the same tags and groups unless the
 * policy says otherwise on purpose.
 */
export function withVectraClaims(policy: Policy, claims: VectraClaimNames): Policy {
  const out: Record<string, unknown> = { ...policy };
  for (const [key, field] of Object.entries(CLAIMED_KEYS) as Array<
    [keyof typeof CLAIMED_KEYS, keyof VectraClaimNames]
  >) {
    if (!policy.explicitKeys.includes(key)) out[key] = claims[field];
  }
  return out as Policy;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
