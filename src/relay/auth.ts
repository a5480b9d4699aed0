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

import { createHash, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import {
  type CryptoKey,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTHeaderParameters,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import * as z from 'zod/mini';
import type { RelayConfig } from '../kernel/config.js';
import type { Claims } from '../kernel/context.js';
import { authError, RelayError } from '../kernel/errors.js';
import { clearVerifiedTokens, entrySize, forget, lookup, remember, tokenDigest } from './verified-tokens.js';

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

/** How long a JWKS fetch may take: 5 s, or less when upstream calls are given less. */
const jwksTimeoutMs = (config: RelayConfig): number => Math.min(5_000, config.upstreamTimeoutMs);
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

/**
 * Fetches the key set of the only allow-listed JWKS host (Lambda init, `warm.ts`),
 * so that the first token does not wait for it.
 */
export async function prefetchJwks(config: RelayConfig): Promise<void> {
  const [host] = config.jwksAllowedHosts;
  const origin = host === undefined ? undefined : allowedJwksOrigin(host, [host]);
  if (origin) await keySetFor(origin, config.jwksCacheTtlMs, jwksTimeoutMs(config)).reload();
}

/** Imports SECRET_KEY as the KeyObject the first token will be verified with (Lambda init). */
export const warmHsKey = (secret: string): void => {
  hsKey(secret);
};

/** Forgets cached key sets and the tokens they verified (tests). */
export const clearJwksCache = (): void => {
  keySets.clear();
  clearVerifiedTokens();
};

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
  const mode = opts.config.authMode;
  // A token verified before, under the key the deployment would use now, is not verified again.
  const digest = tokenDigest(mode, expectedAudience(opts)[0] as string, token);
  const hit = lookup(digest, Date.now() / 1000, CLOCK_TOLERANCE_S);
  if (hit && stillAcceptable(hit, opts)) {
    const key = await currentKey(hit.header, hit.payload, opts).catch(() => undefined);
    if (key !== undefined && key === hit.key) {
      if (hit.exp === undefined) opts.onMissingExp?.();
      return checkModuleKey(toClaims(hit.payload), opts.moduleKey);
    }
  }
  if (hit) {
    forget(digest);
  }
  const { alg, payload } = decode(token);
  try {
    if (mode === 'hs256') {
      if (!opts.secretKey) throw authError(MSG.secret);
      if (alg !== 'HS256') throw authError(`${MSG.structure}: algorithm not allowed, expected HS256`);
    } else {
      if (alg !== 'RS256') throw authError(`${MSG.structure}: algorithm not allowed, expected RS256`);
      const jwksHost = payload.jwks_host;
      if (typeof jwksHost !== 'string' || jwksHost.trim() === '') throw authError(MSG.jwksMissing);
      if (!allowedJwksOrigin(jwksHost, opts.config.jwksAllowedHosts)) throw authError(MSG.jwksHost);
      // RS256 audiences come only from the deployment: the request's Host header is the caller's to choose.
      if (!opts.config.publicUrl) throw authError('RELAY_PUBLIC_URL is not configured for rs256 tokens');
    }
    let key: Key | undefined;
    const verified = await jwtVerify(
      token,
      async (h: JWTHeaderParameters) => {
        key = await currentKey(h, payload, opts);
        return key;
      },
      {
        algorithms: [alg],
        // HS256 tokens from the JWT generator carry no audience; when one is present it must be ours.
        ...(mode === 'hs256' && payload.aud === undefined ? {} : { audience: expectedAudience(opts) }),
        clockTolerance: CLOCK_TOLERANCE_S,
        ...(opts.config.jwtRequireExp ? { requiredClaims: ['exp'] } : {}),
      },
    );
    if (verified.payload.exp === undefined) opts.onMissingExp?.();
    const claims = checkModuleKey(toClaims(verified.payload), opts.moduleKey);
    const { exp, nbf } = verified.payload;
    const { kid } = verified.protectedHeader;
    remember(
      digest,
      {
        payload: verified.payload,
        key,
        header: { alg, ...(kid === undefined ? {} : { kid }) },
        ...(exp === undefined ? {} : { exp }),
        ...(nbf === undefined ? {} : { nbf }),
        size: entrySize(token),
      },
      Date.now(),
      CLOCK_TOLERANCE_S,
    );
    return claims;
  } catch (err) {
    throw mapJoseError(err, mode);
  }
}

type Key = KeyObject | CryptoKey;

/** The deployment rules a kept token must still meet (they are settings, but tests vary them). */
const stillAcceptable = (hit: { exp?: number }, opts: VerifyOptions): boolean =>
  !(opts.config.jwtRequireExp && hit.exp === undefined) &&
  !(opts.config.authMode === 'rs256' && !opts.config.publicUrl);

/**
 * The key this deployment verifies a token with now: the HS256 SECRET_KEY,
 * imported once per value, or the JWKS key of the token's allow-listed
 * `jwks_host` for its `kid` (jose keeps one key object per JWK it holds).
 */
async function currentKey(
  header: { alg?: string; kid?: string },
  payload: Readonly<Record<string, unknown>>,
  opts: VerifyOptions,
): Promise<Key> {
  if (opts.config.authMode === 'hs256') {
    if (!opts.secretKey) throw authError(MSG.secret);
    return hsKey(opts.secretKey);
  }
  const host = payload.jwks_host;
  const origin = typeof host === 'string' ? allowedJwksOrigin(host, opts.config.jwksAllowedHosts) : undefined;
  if (!origin) throw authError(MSG.jwksHost);
  return keySetFor(
    origin,
    opts.config.jwksCacheTtlMs,
    jwksTimeoutMs(opts.config),
  )(header as JWTHeaderParameters);
}

let hs: { secret: string; key: KeyObject } | undefined;
/** SECRET_KEY as a KeyObject, imported once per value (a new value is a new object: old entries lapse). */
function hsKey(secret: string): KeyObject {
  if (hs?.secret !== secret) hs = { secret, key: createSecretKey(Buffer.from(secret, 'utf8')) };
  return hs.key;
}

/** Seconds of clock skew tolerated on `exp`/`nbf`. */
const CLOCK_TOLERANCE_S = 30;

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
