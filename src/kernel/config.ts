/**
 * Deployment configuration, parsed once from the environment with zod. This is
 * the only module that reads `process.env` for relay settings; everything else
 * receives a frozen `RelayConfig`. A bad value fails the cold start with a
 * message naming the variable, never a silent fallback.
 */
import * as z from 'zod/mini';
import { parseCidr } from './cidr.js';

export const CISCO_JWKS_HOSTS = [
  'visibility.amp.cisco.com',
  'visibility.eu.amp.cisco.com',
  'visibility.apjc.amp.cisco.com',
] as const;

const bool = z.pipe(
  z.enum(['true', 'false', '1', '0', 'yes', 'no', '']),
  z.transform((v) => v === 'true' || v === '1' || v === 'yes'),
);
const int = (min: number, max: number) =>
  z.pipe(
    z.string().check(z.regex(/^\d+$/, 'must be a whole number')),
    z.pipe(
      z.transform((v: string) => Number(v)),
      z.number().check(z.gte(min), z.lte(max)),
    ),
  );
const list = z.pipe(
  z.string(),
  z.transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
);

const EnvSchema = z.object({
  AUTH_MODE: z._default(z.enum(['rs256', 'hs256']), 'rs256'),
  SECRET_KEY: z.optional(z.string()),
  JWKS_ALLOWED_HOSTS: z.optional(list),
  JWKS_CACHE_TTL_SECONDS: z._default(int(1, 86_400), 600),
  RELAY_PUBLIC_URL: z.optional(z.url({ protocol: /^https?$/ })),
  PORT: z._default(int(0, 65_535), 9090),
  LOG_LEVEL: z._default(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']), 'INFO'),
  REQUEST_DEADLINE_MS: z._default(int(1_000, 120_000), 20000),
  UPSTREAM_TIMEOUT_MS: z._default(int(100, 60_000), 8000),
  UPSTREAM_CONCURRENCY: z._default(int(1, 64), 8),
  ALLOW_LOOPBACK_UPSTREAMS: z._default(bool, false),
  NACL_MIN_PREFIX_V4: z._default(int(0, 32), 16),
  NACL_MIN_PREFIX_V6: z._default(int(0, 128), 48),
  NACL_PROTECTED_CIDRS: z._default(list, []),
  NACL_RULE_BAND: z._default(
    z.string().check(z.regex(/^\s*\d{1,5}\s*-\s*\d{1,5}\s*$/, 'expected lo-hi')),
    '1-99',
  ),
  UPSTREAM_ALLOWED_CIDRS: z._default(list, []),
  UPSTREAM_ALLOWED_HOSTS: z._default(list, []),
  JWT_REQUIRE_EXP: z._default(bool, false),
  RELAY_STAGE: z._default(
    z.string().check(z.regex(/^[\w+=,.@-]{1,32}$/, 'expected up to 32 of [A-Za-z0-9_+=,.@-]')),
    'local',
  ),
});

export interface RelayConfig {
  readonly authMode: 'rs256' | 'hs256';
  readonly secretKey: string | undefined;
  /** Host names or full origins (`http://127.0.0.1:8081`) whose JWKS we trust. */
  readonly jwksAllowedHosts: readonly string[];
  readonly jwksCacheTtlMs: number;
  readonly publicUrl: string | undefined;
  readonly port: number;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  readonly requestDeadlineMs: number;
  readonly upstreamTimeoutMs: number;
  readonly upstreamConcurrency: number;
  /** Lets vendors talk plain http to 127.0.0.1/::1; only the sandbox and tests set it. */
  readonly allowLoopbackUpstreams: boolean;
  readonly naclMinPrefixV4: number;
  readonly naclMinPrefixV6: number;
  readonly naclProtectedCidrs: readonly string[];
  /** `NACL_RULE_BAND`: the rule numbers the relay owns in every NACL; a token may only narrow it. */
  readonly naclRuleBand: { readonly lo: number; readonly hi: number };
  /** `UPSTREAM_ALLOWED_CIDRS`: non-public upstream addresses the deployment allows (brains on private networks). */
  readonly upstreamAllowedCidrs: readonly string[];
  /** `UPSTREAM_ALLOWED_HOSTS`: when set, the only upstream host names a token may point at. */
  readonly upstreamAllowedHosts: readonly string[];
  /** `JWT_REQUIRE_EXP`: refuse tokens without `exp` (off by default: XDR configuration tokens may lack it). */
  readonly jwtRequireExp: boolean;
  /** `RELAY_STAGE`: the deployment stage, named in STS session names (CloudTrail). */
  readonly stage: string;
  readonly version: string;
  readonly maxBodyBytes: number;
  readonly maxObservables: number;
}

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_OBSERVABLES = 1000;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; throws `ConfigError` naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>, version: string): RelayConfig {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    throw new ConfigError(
      `Invalid environment: ${names.map((n) => `${n} (${describe(parsed.error.issues, n)})`).join(', ')}`,
    );
  }
  const e = parsed.data;
  const badCidr = e.NACL_PROTECTED_CIDRS.find((c) => parseCidr(c) === undefined);
  if (badCidr !== undefined) {
    throw new ConfigError(
      `Invalid environment: NACL_PROTECTED_CIDRS (${badCidr.slice(0, 50)} is not an IP or CIDR)`,
    );
  }
  const [lo = 0, hi = 0] = e.NACL_RULE_BAND.split('-').map((x) => Number(x.trim()));
  if (lo < 1 || hi > 32766 || lo > hi) {
    throw new ConfigError('Invalid environment: NACL_RULE_BAND (must be lo-hi within 1-32766)');
  }
  const badUpstream = e.UPSTREAM_ALLOWED_CIDRS.find((c) => parseCidr(c) === undefined);
  if (badUpstream !== undefined) {
    throw new ConfigError(
      `Invalid environment: UPSTREAM_ALLOWED_CIDRS (${badUpstream.slice(0, 50)} is not an IP or CIDR)`,
    );
  }
  const plainHttp = e.JWKS_ALLOWED_HOSTS?.find((h) => !isSafeJwksEntry(h));
  if (plainHttp !== undefined) {
    throw new ConfigError(
      `Invalid environment: JWKS_ALLOWED_HOSTS (${plainHttp.slice(0, 80)} is plain http: use https, or http only for 127.0.0.1/localhost)`,
    );
  }
  if (e.AUTH_MODE === 'hs256' && e.SECRET_KEY !== undefined && e.SECRET_KEY.length < 32) {
    throw new ConfigError('Invalid environment: SECRET_KEY (must be at least 32 characters)');
  }
  return Object.freeze({
    authMode: e.AUTH_MODE,
    secretKey: e.SECRET_KEY,
    jwksAllowedHosts: Object.freeze(e.JWKS_ALLOWED_HOSTS ?? [...CISCO_JWKS_HOSTS]),
    jwksCacheTtlMs: e.JWKS_CACHE_TTL_SECONDS * 1000,
    publicUrl: e.RELAY_PUBLIC_URL?.replace(/\/+$/, ''),
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    requestDeadlineMs: e.REQUEST_DEADLINE_MS,
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    upstreamConcurrency: e.UPSTREAM_CONCURRENCY,
    allowLoopbackUpstreams: e.ALLOW_LOOPBACK_UPSTREAMS,
    naclMinPrefixV4: e.NACL_MIN_PREFIX_V4,
    naclMinPrefixV6: e.NACL_MIN_PREFIX_V6,
    naclProtectedCidrs: Object.freeze(e.NACL_PROTECTED_CIDRS),
    naclRuleBand: Object.freeze({ lo, hi }),
    upstreamAllowedCidrs: Object.freeze(e.UPSTREAM_ALLOWED_CIDRS),
    upstreamAllowedHosts: Object.freeze(e.UPSTREAM_ALLOWED_HOSTS.map((h) => h.toLowerCase())),
    jwtRequireExp: e.JWT_REQUIRE_EXP,
    stage: e.RELAY_STAGE,
    version,
    maxBodyBytes: MAX_BODY_BYTES,
    maxObservables: MAX_OBSERVABLES,
  });
}

/** A JWKS host or origin: keys fetched over plain http could be swapped on the way, so only loopback may. */
function isSafeJwksEntry(entry: string): boolean {
  if (!/^http:/i.test(entry)) return true;
  try {
    const host = new URL(entry).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

function describe(issues: readonly z.core.$ZodIssue[], name: string): string {
  const issue = issues.find((i) => String(i.path[0]) === name);
  if (!issue) return 'invalid';
  if (issue.code === 'invalid_value' && 'values' in issue)
    return `expected one of ${issue.values.join(', ')}`;
  if (issue.code === 'too_small' || issue.code === 'too_big') return 'out of range';
  return issue.message === 'Invalid input' ? 'invalid value' : issue.message;
}

/** Builds a config for tests and tools: defaults plus overrides, no environment read. */
export function makeConfig(overrides: Partial<RelayConfig> = {}): RelayConfig {
  return Object.freeze({ ...loadConfig({}, '0.0.0-test'), ...overrides });
}
