/**
 * Per-stage deployment settings, validated with zod before anything is
 * synthesised. A stage's settings come from `cdk/stages/<stage>.json` or from
 * `cdk.json` context `stages.<stage>` (one source per stage, never both).
 * Unknown keys are errors, so a typo cannot silently fall back to a default.
 * Secrets never live here: the stack creates them in Secrets Manager.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parsePolicy } from '../../src/engine/policy.js';

/** JWKS hosts of the three Cisco XDR regions (kept in step with `src/relay/config.ts`). */
export const CISCO_JWKS_HOSTS = [
  'visibility.amp.cisco.com',
  'visibility.eu.amp.cisco.com',
  'visibility.apjc.amp.cisco.com',
] as const;

/** Retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const PARTITION = 'aws(?:-cn|-us-gov|-iso|-iso-b)?';
const REGION = String.raw`[a-z]{2}(?:-[a-z]+)+-\d`;

export const StageNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,19}$/,
    'stage names are 1-20 lower-case letters, digits or dashes, starting with a letter',
  );

const NaclArn = z
  .string()
  .regex(
    new RegExp(`^arn:${PARTITION}:ec2:${REGION}:\\d{12}:network-acl/acl-[0-9a-f]{8,17}$`),
    'expected a network ACL ARN: arn:aws:ec2:<region>:<account>:network-acl/acl-<id>',
  );
const RoleArn = z
  .string()
  .regex(
    new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$`),
    'expected an IAM role ARN without wildcards: arn:aws:iam::<account>:role/<name>',
  );
const TopicArn = z
  .string()
  .regex(
    new RegExp(`^arn:${PARTITION}:sns:${REGION}:\\d{12}:[\\w-]{1,256}$`),
    'expected an SNS topic ARN: arn:aws:sns:<region>:<account>:<topic>',
  );
const Hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'expected a lower-case host name such as visibility.amp.cisco.com',
  );
const Cidr = z.union([z.cidrv4(), z.cidrv6()], { error: 'expected a CIDR such as 10.0.0.0/8 or fd00::/8' });
const Retention = z.union(
  LOG_RETENTION_DAYS.map((d) => z.literal(d)),
  { error: `expected one of ${LOG_RETENTION_DAYS.join(', ')}` },
);
const uniq = <T>(items: readonly T[]): T[] => [...new Set(items)];

export const EngineSettingsSchema = z.strictObject({
  /** Deploy the scheduled automated-response engine. */
  enabled: z.boolean().default(false),
  /** EventBridge schedule: one run every N minutes. */
  scheduleMinutes: z.int().min(1).max(1440).default(15),
  /** `ENGINE_DRY_RUN`: report what would be blocked without changing anything. True on a new stage. */
  dryRun: z.boolean().default(true),
  memoryMb: z.int().min(128).max(10240).default(512),
  /** Must end before the next scheduled run starts. */
  timeoutSeconds: z.int().min(10).max(900).default(120),
  /** `ENGINE_POLICY` (JSON, not secret): which detections lead to which blocks. */
  policy: z.record(z.string(), z.unknown()).optional(),
});

/** Carbon Black live-response collection: a bucket, the `collect` function and its schedule. */
export const CollectionSettingsSchema = z.strictObject({
  /** Deploy the collection (needs the engine: the function runs with the engine secret's claims). */
  enabled: z.boolean().default(false),
  /** `CARBON_BLACK_COLLECT_FILES`: absolute paths read off the endpoint (never from a token). */
  files: z
    .array(z.string().regex(/^(?:[A-Za-z]:\\|\/)[^\0\r\n;]{1,259}$/, 'expected an absolute path without ;'))
    .max(20)
    .transform(uniq)
    .default([]),
  /** `CARBON_BLACK_COLLECT_TIMEOUT_S`: how long a job waits for the sensor and its commands. */
  timeoutSeconds: z.int().min(60).max(86_400).default(900),
  /** Days before results (and job records) expire from the bucket. */
  retentionDays: z.int().min(1).max(365).default(30),
});

export const StageSettingsSchema = z
  .strictObject({
    /** Free text for humans; ignored. */
    $comment: z.string().optional(),
    /** Target account and region; default: the CLI's credentials and region. */
    account: z
      .string()
      .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
      .optional(),
    region: z
      .string()
      .regex(new RegExp(`^${REGION}$`), 'expected an AWS region such as eu-west-1')
      .optional(),
    /** `rs256`: XDR-issued configuration tokens (recommended); `hs256`: tokens from `npm run jwt`. */
    authMode: z.enum(['rs256', 'hs256']).default('rs256'),
    jwksAllowedHosts: z
      .array(Hostname)
      .min(1)
      .transform(uniq)
      .default([...CISCO_JWKS_HOSTS]),
    /** Audience of XDR tokens when the relay sits behind a custom domain; default: the API URL. */
    publicUrl: z
      .url({ protocol: /^https$/, error: 'expected an https:// URL' })
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    /** The only network ACLs the functions may change with their own credentials. */
    naclArns: z.array(NaclArn).transform(uniq).default([]),
    /** Roles the functions may assume (cross-account blocking, `aws_role_arn` in the token). */
    roleArns: z.array(RoleArn).transform(uniq).default([]),
    /** `NACL_PROTECTED_CIDRS`: never blocked, whatever the request says. */
    naclProtectedCidrs: z.array(Cidr).transform(uniq).default([]),
    /**
     * `NACL_RULE_BAND`: the rule numbers the relay owns in every NACL (a token may only
     * narrow it). Keep it below the first allow rule (100 on a default NACL).
     */
    naclRuleBand: z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, 'expected lo-hi such as 1-99')
      .refine((v) => {
        const [lo = 0, hi = 0] = v.split('-').map(Number);
        return lo >= 1 && hi <= 32766 && lo <= hi;
      }, 'expected lo-hi within 1-32766')
      .default('1-99'),
    /** `UPSTREAM_ALLOWED_CIDRS`: non-public addresses token URLs may reach (a brain on a private network). */
    upstreamAllowedCidrs: z.array(Cidr).transform(uniq).default([]),
    /** `UPSTREAM_ALLOWED_HOSTS`: when set, the only host names token URLs may use. */
    upstreamAllowedHosts: z.array(Hostname).transform(uniq).default([]),
    /** `JWT_REQUIRE_EXP`: refuse tokens without `exp` (XDR configuration tokens may lack it). */
    jwtRequireExp: z.boolean().default(false),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
    logRetentionDays: Retention.default(30),
    memoryMb: z.int().min(128).max(10240).default(512),
    /** The HTTP API gives up after 30 s; the relay's own deadline must end first. */
    timeoutSeconds: z.int().min(5).max(29).default(25),
    /** `REQUEST_DEADLINE_MS` of the relay; default 20000. */
    requestDeadlineMs: z.int().min(1000).max(28_000).optional(),
    /** Reserved concurrency of the relay function; default: unreserved. */
    reservedConcurrency: z.int().min(1).max(1000).optional(),
    /** API Gateway default-stage throttling. */
    apiThrottle: z
      .strictObject({ rateLimit: z.number().positive().max(10_000), burstLimit: z.int().min(1).max(5000) })
      .optional(),
    /** Every alarm notifies this topic when set (set it in production). */
    alarmTopicArn: TopicArn.optional(),
    /** What happens to log groups and secrets when the stack is deleted. */
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
    terminationProtection: z.boolean().default(false),
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
    engine: EngineSettingsSchema.prefault({}),
    collection: CollectionSettingsSchema.prefault({}),
  })
  .superRefine((s, ctx) => {
    if (s.account) {
      s.naclArns.forEach((arn, i) => {
        const account = arn.split(':')[4];
        if (account !== s.account)
          ctx.addIssue({
            code: 'custom',
            path: ['naclArns', i],
            message: `NACL is in account ${account} but the stage deploys to ${s.account}; use roleArns for other accounts`,
          });
      });
    }
    const deadline = s.requestDeadlineMs ?? 20_000;
    if (deadline >= s.timeoutSeconds * 1000)
      ctx.addIssue({
        code: 'custom',
        path: ['requestDeadlineMs'],
        message: `must be below timeoutSeconds (${s.timeoutSeconds} s) so the relay answers before Lambda stops it`,
      });
    if (s.engine.enabled && s.engine.timeoutSeconds >= s.engine.scheduleMinutes * 60)
      ctx.addIssue({
        code: 'custom',
        path: ['engine', 'timeoutSeconds'],
        message: `must be shorter than the schedule (${s.engine.scheduleMinutes} min) so runs cannot overlap`,
      });
    if (s.collection.enabled && !s.engine.enabled)
      ctx.addIssue({
        code: 'custom',
        path: ['collection', 'enabled'],
        message: "needs the engine: the collect function runs with the engine secret's claims",
      });
    if (s.engine.policy !== undefined) {
      // The same validation the engine runs, so a bad policy fails the synth, not every scheduled run.
      try {
        parsePolicy(s.engine.policy);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['engine', 'policy'], message: (err as Error).message });
      }
    }
    if (s.engine.policy !== undefined && JSON.stringify(s.engine.policy).length > 3000)
      ctx.addIssue({
        code: 'custom',
        path: ['engine', 'policy'],
        message: 'is too large for a Lambda environment variable (3000 characters of JSON at most)',
      });
  });

export type StageSettingsInput = z.input<typeof StageSettingsSchema>;
export type StageSettings = z.output<typeof StageSettingsSchema>;

export class StageConfigError extends Error {
  override readonly name = 'StageConfigError';
}

/** Renders zod issues as one line each: `naclArns[0]: expected … (got "acl-1")`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`  - ${pathText([...issue.path, key])}: unknown setting`);
      continue;
    }
    const message =
      issue.code === 'invalid_value'
        ? `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
        : issue.message;
    const got = valueAt(input, issue.path);
    lines.push(
      `  - ${pathText(issue.path)}: ${message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`,
    );
  }
  return lines.join('\n');
}

function pathText(path: readonly PropertyKey[]): string {
  const text = path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
  return text || '(settings)';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** Validates raw settings; throws `StageConfigError` listing every problem. */
export function parseStageSettings(stage: string, raw: unknown, source: string): StageSettings {
  const name = StageNameSchema.safeParse(stage);
  if (!name.success)
    throw new StageConfigError(`Invalid stage name "${stage}": ${name.error.issues[0]?.message}`);
  const parsed = StageSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new StageConfigError(
      `Invalid settings for stage "${stage}" (${source}):\n${formatIssues(parsed.error.issues, raw)}`,
    );
  }
  return parsed.data;
}

export interface ResolveStageOptions {
  /** Directory of `<stage>.json` files. */
  readonly stagesDir: string;
  /** `cdk.json` context value `stages` (an object keyed by stage name), if any. */
  readonly contextStages?: unknown;
}

export interface ResolvedStage {
  readonly stage: string;
  readonly settings: StageSettings;
  /** Where the settings came from, for messages. */
  readonly source: string;
}

/** Stage names defined in the stages directory and in `cdk.json` context. */
export function knownStages(options: ResolveStageOptions): string[] {
  const fromFiles = existsSync(options.stagesDir)
    ? readdirSync(options.stagesDir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
    : [];
  const ctx = options.contextStages;
  const fromContext = ctx && typeof ctx === 'object' ? Object.keys(ctx) : [];
  return [...new Set([...fromFiles, ...fromContext])].sort();
}

/**
 * Finds and validates the settings of `stage` (the `-c stage=<name>` value).
 * Throws `StageConfigError` when the stage is missing, unknown, defined twice or invalid.
 */
export function resolveStage(stage: unknown, options: ResolveStageOptions): ResolvedStage {
  const known = knownStages(options);
  const hint = `Known stages: ${known.join(', ') || '(none)'}. Add cdk/stages/<stage>.json or cdk.json context "stages".`;
  if (typeof stage !== 'string' || stage === '') {
    throw new StageConfigError(`No stage given: run with -c stage=<name>. ${hint}`);
  }
  const name = StageNameSchema.safeParse(stage);
  if (!name.success)
    throw new StageConfigError(`Invalid stage name "${stage}": ${name.error.issues[0]?.message}`);
  const file = join(options.stagesDir, `${stage}.json`);
  const ctx = options.contextStages;
  const fromContext =
    ctx && typeof ctx === 'object' && Object.hasOwn(ctx, stage)
      ? (ctx as Record<string, unknown>)[stage]
      : undefined;
  const hasFile = existsSync(file);
  if (hasFile && fromContext !== undefined) {
    throw new StageConfigError(
      `Stage "${stage}" is defined twice: in ${file} and in cdk.json context "stages". Keep one of them.`,
    );
  }
  if (hasFile) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new StageConfigError(`Cannot read ${file}: ${(err as Error).message}`);
    }
    return { stage, settings: parseStageSettings(stage, raw, file), source: file };
  }
  if (fromContext !== undefined) {
    const source = `cdk.json context stages.${stage}`;
    return { stage, settings: parseStageSettings(stage, fromContext, source), source };
  }
  throw new StageConfigError(`Unknown stage "${stage}". ${hint}`);
}
