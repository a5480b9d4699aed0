/**
 * The one mapping from upstream failures (any product) to the contract's errors
 * (relay-contract.md §2): HTTP statuses, TLS, DNS/connect failures and
 * timeouts, plus extraction and scrubbing of the upstream detail.
 */
import { authError, RelayError } from '../errors.js';
import { redactText } from '../logger.js';

/** Maps a non-2xx status to the contract's error; `detail` is already scrubbed. */
export function statusError(product: string, status: number, detail: string): RelayError {
  switch (status) {
    case 401:
      // Our words and the status only: the upstream's text reads like a verdict on the relay's JWT.
      return authError(`${product} rejected the API credentials (HTTP 401).`);
    case 403:
      return new RelayError('permission denied', `Permission denied by ${product}: ${detail}`, {
        ownMessage: `Permission denied by ${product}.`,
      });
    case 404:
      return new RelayError('not found', `Not found in ${product}: ${detail}`, {
        ownMessage: `Not found in ${product}.`,
      });
    case 409:
      return new RelayError('state conflict', `${product} reported a conflict: ${detail}`, {
        ownMessage: `${product} reported a conflict.`,
      });
    case 429:
      return new RelayError(
        'too many requests',
        `Too many requests to ${product} have been made. Please, try again later.`,
      );
    case 500:
      return new RelayError('internal error', `The ${product} internal error.`);
    case 502:
    case 503:
    case 504:
      return new RelayError('service unavailable', `The ${product} is unavailable. Please, try again later.`);
    default:
      if (status === 400 || status === 422) {
        return new RelayError('invalid argument', `${product} rejected the request: ${detail}`, {
          ownMessage: `${product} rejected the request.`,
        });
      }
      return new RelayError('unknown', `Unexpected response from ${product}: ${detail}`, {
        ownMessage: `Unexpected response from ${product} (HTTP ${status}).`,
      });
  }
}

/** Maps a thrown transport error (TLS, DNS, connect, timeout, abort). */
export function networkError(
  product: string,
  urlField: string,
  err: unknown,
  baseUrl: string,
  aborted: boolean,
  /** Kept for callers; upstream text never reaches these messages, they are ours alone. */
  _scrub?: (t: string) => string,
): RelayError {
  if (err instanceof RelayError) return err;
  const chain = causes(err);
  const codes = chain.map((e) => (e as { code?: string }).code).filter((c): c is string => !!c);
  const unreachable = () =>
    new RelayError(
      'connection error',
      `Unable to connect ${product}, validate the configured ${urlField}: ${baseUrl}`,
      { cause: err },
    );
  // Refused by the address policy: exactly what a closed port or an unknown host answers.
  if (codes.includes('EUPSTREAMREFUSED')) return unreachable();
  const tls = codes.find((c) => TLS_REASONS[c] !== undefined);
  // Only an allowed target gets this far; the reason is in our words, never the peer's.
  if (tls)
    return new RelayError('unknown', `Unable to verify SSL certificate: ${TLS_REASONS[tls]}.`, {
      cause: err,
    });
  if (aborted || codes.some((c) => TIMEOUT_CODES.has(c)) || chain.some(isAbort))
    return timeoutError(product, err);
  // Closed port, plain-http service, TLS handshake failure, reset: one answer, so nothing can be scanned.
  return unreachable();
}

const TLS_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in an untrusted self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate issuer is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate issuer is not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'the certificate issuer is not trusted',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not name this host',
  CERT_REVOKED: 'the certificate is revoked',
};
const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
  'ABORT_ERR',
]);

export const timeoutError = (product: string, cause?: unknown): RelayError =>
  new RelayError('service unavailable', `The ${product} did not answer in time. Please, try again later.`, {
    cause,
  });

const isAbort = (e: Error) => e.name === 'AbortError' || e.name === 'TimeoutError';

function causes(err: unknown): Error[] {
  const out: Error[] = [];
  let cur: unknown = err;
  while (cur instanceof Error && out.length < 5) {
    out.push(cur);
    cur = cur.cause;
  }
  return out;
}

/** Retry-After as milliseconds (seconds or HTTP date), or undefined. */
export function retryAfterMs(raw: unknown): number | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** `detail`, then `errors[0].title`, then `_meta.message`, else undefined. */
export function upstreamDetail(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { detail?: unknown; errors?: unknown; _meta?: { message?: unknown } };
  if (typeof b.detail === 'string' && b.detail) return b.detail;
  if (Array.isArray(b.errors)) {
    const title = (b.errors[0] as { title?: unknown } | undefined)?.title;
    if (typeof title === 'string' && title) return title;
  }
  const meta = b._meta?.message;
  return typeof meta === 'string' && meta ? meta : undefined;
}

/**
 * Upstream text made safe to show: `redactText` (the given secrets, JWTs,
 * `Bearer/Token/Basic <x>` values) plus any opaque string of 32+ characters.
 */
export function scrubTokens(text: string, secrets: Iterable<string | undefined> = []): string {
  return redactText(text, secrets).replace(/[A-Za-z0-9_\-+/=]{32,}/g, '[redacted]');
}
