/**
 * Structured JSON logging with Powertools for AWS Lambda. Secrets are redacted
 * by construction: the JSON replacer blanks every key that looks like a
 * credential and every string that looks like a JWT or bearer token, so a
 * careless `log.info({ claims })` still prints nothing secret.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger };

const SECRET_KEY =
  /(secret|token|password|passwd|authorization|api[-_]?key|module[-_]?key|credential|jwt|cookie|session)/i;
const JWT_LIKE = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;
/**
 * `Bearer|Token|Basic <value>` where the value looks like a credential: 8+
 * characters with a digit, or 20+ characters. Prose such as "Token
 * authentication failed" is left alone.
 */
const BEARER = /\b(Bearer|Token|Basic)\s+(?:(?=[\w.~+/=-]*\d)[\w.~+/=-]{8,}|[\w.~+/=-]{20,})/gi;
/** Known secrets shorter than this are not blanked (they would blank ordinary letters); 4 as before. */
export const MIN_SECRET_LENGTH = 4;

/**
 * The one token-redaction of the relay: blanks each of `extraSecrets` (exact
 * text, from `MIN_SECRET_LENGTH` characters on, longest first), JWT-like
 * strings and `Bearer/Token/Basic <credential>` values.
 */
export function redactText(text: string, extraSecrets: Iterable<string | undefined> = []): string {
  let out = text;
  const secrets = [...new Set(extraSecrets)]
    .filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out.replace(JWT_LIKE, '[redacted]').replace(BEARER, '$1 [redacted]');
}

/** Redacts a value for logging: secret-looking keys and token-looking strings. */
export function redact(key: string, value: unknown): unknown {
  if (key && SECRET_KEY.test(key) && value !== null && value !== undefined && typeof value !== 'object') {
    return '[redacted]';
  }
  if (typeof value === 'string') return redactText(value);
  return value;
}

export function createLogger(
  level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT',
  serviceName = 'vectra-xdr-relay',
): Logger {
  return new Logger({
    serviceName,
    logLevel: level,
    jsonReplacerFn: (key, value) => redact(key, value),
  });
}
