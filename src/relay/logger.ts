/**
 * Structured JSON logging with Powertools for AWS Lambda. Secrets are redacted
 * by construction: the JSON replacer blanks every key that looks like a
 * credential and every string that looks like a JWT or bearer token, so a
 * careless `log.info({ claims })` still prints nothing secret.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger };

const SECRET_KEY = /(secret|token|password|passwd|authorization|api[-_]?key|module[-_]?key|credential|jwt|cookie|session)/i;
const JWT_LIKE = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;
const BEARER = /\b(Bearer|Token|Basic)\s+[\w.~+/=-]{8,}/gi;

/** Redacts a value for logging: secret-looking keys and token-looking strings. */
export function redact(key: string, value: unknown): unknown {
  if (key && SECRET_KEY.test(key) && value !== null && value !== undefined && typeof value !== 'object') {
    return '[redacted]';
  }
  if (typeof value === 'string')
    return value.replace(JWT_LIKE, '[redacted-jwt]').replace(BEARER, '$1 [redacted]');
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
