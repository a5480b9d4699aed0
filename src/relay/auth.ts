/**
 * Strict JWT verification, in one file.
 *
 * - `hs256` mode: HS256 only, verified with SECRET_KEY (Gen 1 relays and `npm run jwt`).
 * - `rs256` mode: RS256 only, keys from `<allow-listed jwks_host>/.well-known/jwks`,
 *   cached per host, audience = RELAY_PUBLIC_URL (or the request origin).
 *
 * A foreign `jwks_host` is refused before any network call: Cisco's own relays
 * fetch keys from whatever host the unverified token names, which lets anyone
 * sign their own tokens. Every failure is an `authorization error` with the
 * message texts relay users know (relay-contract.md §3); nothing here throws
 * anything else, and no token or key material is ever put into a message.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import * as z from 'zod/mini';
import type { RelayConfig } from '../kernel/config.js';
import type { Claims } from '../kernel/context.js';
import { authError, RelayError } from '../kernel/errors.js';

const MAX_TOKEN_LENGTH = 16 * 1024;
const REGISTERED = new Set(['aud', 'exp', 'iat', 'nbf', 'iss', 'sub', 'jti']);

const MSG = {
  missing: 'Authorization header is missing',
  type: 'Wrong authorization type',
  structure: 'Wrong JWT structure',
  payload: 'Wrong JWT payload structure',
  secret: '<SECRET_KEY> is missing',
  hsKey: 'Failed to decode JWT with provided key',
  rsKey:
    'Failed to decode JWT with provided key. Make sure domain in custom_jwks_host corresponds to your XDR instance region.',
  jwksMissing:
    'jwks_host is missing in JWT payload. Make sure custom_jwks_host field is present in module_type',
  jwksHost:
    'Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure',
  kid: 'kid from JWT header not found in API response',
  audience: 'Wrong configuration-token-audience',
  expired: 'The JWT has expired',
  notYet: 'The JWT is not yet valid',
} as const;

/** Extracts the token from `Authorization: Bearer <jwt>`. */
export function bearerToken(header: string | undefined | null): string {
  if (header === undefined || header === null || header.trim() === '') throw authError(MSG.missing);
  const parts = header.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0]?.toLowerCase() !== 'bearer') throw authError(MSG.type);
  return parts[1] as string;
}

interface Decoded {
  alg: string;
  payload: JWTPayload;
}

function decode(token: string): Decoded {
  if (token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3) throw authError(MSG.structure);
  try {
    const header = decodeProtectedHeader(token);
    const payload = decodeJwt(token);
    return { alg: typeof header.alg === 'string' ? header.alg : '', payload };
  } catch (cause) {
    throw authError(MSG.structure, cause);
  }
}

/**
 * Custom claims are flat scalars (XDR module forms send strings, and integer or
 * boolean fields as JSON numbers and booleans); they become strings. Objects
 * and arrays are not valid credential values.
 */
const ClaimsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

function toClaims(payload: JWTPayload): Claims {
  const custom = Object.fromEntries(Object.entries(payload).filter(([key]) => !REGISTERED.has(key)));
  const parsed = ClaimsSchema.safeParse(custom);
  if (!parsed.success) {
    const key = String(parsed.error.issues[0]?.path[0] ?? 'claim');
    throw authError(`${MSG.payload}: ${key.slice(0, 64)} must be a string`);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.data)) if (value !== null) out[key] = String(value);
  return Object.freeze(out);
}

/** Maps jose's errors to the platform's messages. */
function mapJoseError(err: unknown, mode: 'hs256' | 'rs256'): RelayError {
  if (err instanceof RelayError) return err;
  if (err instanceof joseErrors.JWTExpired) return authError(MSG.expired, err);
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return authError(MSG.audience, err);
    if (err.claim === 'nbf' || err.claim === 'iat') return authError(MSG.notYet, err);
    return authError(`${MSG.payload}: invalid ${err.claim} claim`, err);
  }
  if (err instanceof joseErrors.JWKSNoMatchingKey) return authError(MSG.kid, err);
  if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return authError(MSG.kid, err);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return authError(mode === 'hs256' ? MSG.hsKey : MSG.rsKey, err);
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported)
    return authError(`${MSG.structure}: algorithm not allowed, expected ${mode.toUpperCase()}`, err);
  // A hung JWKS host is an outage, not a wrong host name.
  if (err instanceof joseErrors.JWKSTimeout)
    return new RelayError(
      'service unavailable',
      'The JWKS host did not answer in time. Please, try again later.',
      {
        cause: err,
      },
    );
  if (err instanceof joseErrors.JWKSInvalid) return authError(MSG.jwksHost, err);
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid)
    return authError(MSG.structure, err);
  // fetch failures (DNS, refused, non-JSON) surface as plain errors from the remote key set.
  return authError(mode === 'hs256' ? MSG.hsKey : MSG.jwksHost, err);
}

/**
 * Resolves a token's `jwks_host` against the allow-list. An entry is a bare
 * host (https implied) or a full origin such as `http://127.0.0.1:8081`.
 */
export function allowedJwksOrigin(jwksHost: string, allowed: readonly string[]): string | undefined {
  const wanted = jwksHost.trim().toLowerCase().replace(/\/+$/, '');
  for (const entry of allowed) {
    const e = entry.trim().toLowerCase().replace(/\/+$/, '');
    if (/^https?:\/\//.test(e)) {
      const origin = new URL(e).origin;
      if (wanted === origin || wanted === new URL(e).host) return origin;
    } else if (wanted === e || wanted === `https://${e}`) {
      return `https://${e}`;
    }
  }
  return undefined;
}

type KeySet = ReturnType<typeof createRemoteJWKSet>;
const keySets = new Map<string, KeySet>();

function keySetFor(origin: string, ttlMs: number, timeoutMs: number): KeySet {
  const key = `${origin}|${ttlMs}|${timeoutMs}`;
  let set = keySets.get(key);
  if (!set) {
    // cooldown lets a token with an unknown kid trigger one refetch (key rotation) without
    // letting a stream of junk kids hammer the JWKS host.
    set = createRemoteJWKSet(new URL('/.well-known/jwks', origin), {
      cacheMaxAge: ttlMs,
      cooldownDuration: 30_000,
      timeoutDuration: timeoutMs,
    });
    keySets.set(key, set);
  }
  return set;
}

/** Forgets cached key sets (tests). */
export const clearJwksCache = (): void => keySets.clear();

export interface VerifyOptions {
  config: RelayConfig;
  /** Origin of the incoming request, used as audience when RELAY_PUBLIC_URL is unset. */
  requestOrigin: string;
  /** HS256 key (SECRET_KEY or from Secrets Manager). */
  secretKey: string | undefined;
  /**
   * The deployment's module key (RELAY_MODULE_KEY), when set. A configuration
   * token proves only that Cisco signed it for *some* module pointing at this
   * URL; the key, typed into this organisation's module form, proves it is ours.
   */
  moduleKey?: string | undefined;
  /** Called for a valid token without `exp` (accepted unless JWT_REQUIRE_EXP): the caller logs a warning. */
  onMissingExp?: (() => void) | undefined;
}

/** Verifies the `Authorization` header and returns the flat claims. Throws `RelayError` only. */
export async function verifyAuthorization(
  header: string | undefined | null,
  opts: VerifyOptions,
): Promise<Claims> {
  const token = bearerToken(header);
  const { alg, payload } = decode(token);
  const mode = opts.config.authMode;
  try {
    if (mode === 'hs256') {
      if (!opts.secretKey) throw authError(MSG.secret);
      if (alg !== 'HS256') throw authError(`${MSG.structure}: algorithm not allowed, expected HS256`);
      const audience = expectedAudience(opts);
      const verified = await jwtVerify(token, new TextEncoder().encode(opts.secretKey), {
        algorithms: ['HS256'],
        // Tokens from the JWT generator carry no audience; when one is present it must be ours.
        ...(payload.aud === undefined ? {} : { audience }),
        clockTolerance: 30,
        ...(opts.config.jwtRequireExp ? { requiredClaims: ['exp'] } : {}),
      });
      if (verified.payload.exp === undefined) opts.onMissingExp?.();
      return checkModuleKey(toClaims(verified.payload), opts.moduleKey);
    }
    if (alg !== 'RS256') throw authError(`${MSG.structure}: algorithm not allowed, expected RS256`);
    const jwksHost = payload.jwks_host;
    if (typeof jwksHost !== 'string' || jwksHost.trim() === '') throw authError(MSG.jwksMissing);
    const origin = allowedJwksOrigin(jwksHost, opts.config.jwksAllowedHosts);
    if (!origin) throw authError(MSG.jwksHost);
    // RS256 audiences come only from the deployment: the request's Host header is the caller's to choose.
    if (!opts.config.publicUrl) throw authError('RELAY_PUBLIC_URL is not configured for rs256 tokens');
    const verified = await jwtVerify(
      token,
      keySetFor(origin, opts.config.jwksCacheTtlMs, Math.min(5_000, opts.config.upstreamTimeoutMs)),
      {
        algorithms: ['RS256'],
        audience: expectedAudience(opts),
        clockTolerance: 30,
        ...(opts.config.jwtRequireExp ? { requiredClaims: ['exp'] } : {}),
      },
    );
    if (verified.payload.exp === undefined) opts.onMissingExp?.();
    return checkModuleKey(toClaims(verified.payload), opts.moduleKey);
  } catch (err) {
    throw mapJoseError(err, mode);
  }
}

/** Constant-time comparison of the token's `relay_module_key` with the deployment's. */
function checkModuleKey(claims: Claims, expected: string | undefined): Claims {
  const { relay_module_key: given, ...rest } = claims;
  if (expected === undefined) return claims;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  if (given === undefined || !timingSafeEqual(digest(given), digest(expected))) {
    throw authError(
      `${MSG.payload}: relay_module_key does not match this relay. Make sure custom_relay_module_key in the module holds the key of this deployment`,
    );
  }
  // Vendors never need it; keeping it out of the claims keeps it out of everything downstream.
  return Object.freeze(rest);
}

function expectedAudience(opts: VerifyOptions): string[] {
  const base = (opts.config.publicUrl ?? opts.requestOrigin).replace(/\/+$/, '');
  return [base, `${base}/`];
}
