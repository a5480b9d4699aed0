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
      return new RelayError('permission denied', `Permission denied by ${product}: ${detail}`);
    case 404:
      return new RelayError('not found', `Not found in ${product}: ${detail}`);
    case 409:
      return new RelayError('state conflict', `${product} reported a conflict: ${detail}`);
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
        return new RelayError('invalid argument', `${product} rejected the request: ${detail}`);
      }
      return new RelayError('unknown', `Unexpected response from ${product}: ${detail}`);
  }
}

/** Maps a thrown transport error (TLS, DNS, connect, timeout, abort). */
export function networkError(
  product: string,
  urlField: string,
  err: unknown,
  baseUrl: string,
  aborted: boolean,
  scrub: (t: string) => string,
): RelayError {
  if (err instanceof RelayError) return err;
  const chain = causes(err);
  const codes = chain.map((e) => (e as { code?: string }).code).filter((c): c is string => !!c);
  const tls = chain.find(
    (e) => TLS_CODES.has((e as { code?: string }).code ?? '') || /certificate/i.test(e.message),
  );
  if (tls)
    return new RelayError('unknown', `Unable to verify SSL certificate: ${scrub(tls.message)}`, {
      cause: err,
    });
  if (aborted || codes.some((c) => TIMEOUT_CODES.has(c)) || chain.some(isAbort))
    return timeoutError(product, err);
  if (codes.some((c) => CONNECT_CODES.has(c))) {
    return new RelayError(
      'connection error',
      `Unable to connect ${product}, validate the configured ${urlField}: ${baseUrl}`,
      { cause: err },
    );
  }
  return new RelayError('unknown', `Unexpected error talking to ${product}.`, { cause: err });
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
  'ABORT_ERR',
]);
const CONNECT_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
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
