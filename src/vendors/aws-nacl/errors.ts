/**
 * AWS SDK failures → relay error codes. Messages name the action, region and
 * NACL but never echo the SDK's message: an UnauthorizedOperation message
 * embeds an encoded policy context, and others may echo request details.
 */
import { authError, RelayError } from '../../kernel/errors.js';

export const errorCode = (err: unknown): string =>
  typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : '';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const CREDENTIAL_CODES = new Set([
  'AuthFailure',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'UnrecognizedClientException',
  'CredentialsProviderError',
]);

/**
 * Maps an SDK failure to the relay's codes. Messages name the action, region and
 * NACL, never the SDK's own message: an UnauthorizedOperation message embeds an
 * encoded policy context and other messages may echo request details.
 */
export function toRelayError(
  err: unknown,
  where: { region: string; action: string; naclId?: string | undefined; roleArn?: string | undefined },
): RelayError {
  if (err instanceof RelayError) return err;
  const code = errorCode(err);
  const sysCode =
    typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const on = where.naclId ? ` on ${where.naclId}` : '';
  if (code === 'UnauthorizedOperation' || (code === 'AccessDenied' && where.action !== 'AssumeRole')) {
    return new RelayError(
      'permission denied',
      `AWS denied ec2:${where.action}${on} in ${where.region}: grant it to the relay's role.`,
      { cause: err },
    );
  }
  if (code === 'AccessDenied') {
    return new RelayError(
      'permission denied',
      `AWS STS denied AssumeRole on ${where.roleArn}: check its trust policy and aws_external_id.`,
      { cause: err },
    );
  }
  if (CREDENTIAL_CODES.has(code)) return authError(`AWS rejected the credentials (${code}).`, err);
  if (code === 'InvalidNetworkAclID.NotFound') {
    const id = /acl-[0-9a-f]{8,17}/.exec(err instanceof Error ? err.message : '')?.[0] ?? where.naclId;
    return new RelayError('not found', `Network ACL ${id} was not found in ${where.region}.`, { cause: err });
  }
  if (code === 'InvalidNetworkAclId.Malformed')
    return new RelayError('invalid argument', `Malformed network ACL id${on}.`, { cause: err });
  if (code === 'RequestLimitExceeded' || code === 'Throttling' || code === 'ThrottlingException') {
    return new RelayError(
      'too many requests',
      'Too many requests to AWS EC2 have been made. Please, try again later.',
      { cause: err },
    );
  }
  if (code === 'AbortError') {
    return new RelayError(
      'service unavailable',
      `AWS EC2 ${where.action} did not finish before the request deadline.`,
      { cause: err },
    );
  }
  if (NETWORK_CODES.has(sysCode) || NETWORK_CODES.has(code) || code === 'TimeoutError') {
    return new RelayError('connection error', `Unable to connect to AWS EC2 in ${where.region}.`, {
      cause: err,
    });
  }
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 0;
  if (status >= 500)
    return new RelayError(
      'service unavailable',
      `The AWS EC2 is unavailable (${safe(code)}). Please, try again later.`,
      { cause: err },
    );
  return new RelayError('unknown', `AWS EC2 ${where.action}${on} failed: ${safe(code)}.`, { cause: err });
}

/** AWS error codes are identifiers; anything else is not echoed. */
const safe = (code: string): string => (/^[A-Za-z][\w.]{0,80}$/.test(code) ? code : 'unexpected error');
