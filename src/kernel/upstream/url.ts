/**
 * The one check of a token-supplied upstream base URL, for Vectra and every
 * block client: https only (plain http just for loopback when the deployment
 * allows it, i.e. the sandbox), no credentials, no query or fragment.
 * Returned normalised without a trailing slash. Which addresses it may reach
 * is decided at connect time by the transport.
 */
import type { RelayConfig } from '../config.js';
import { type ClaimsSource, claimsError } from '../fields.js';

/** True for `localhost`, 127.0.0.0/8 and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Checks a user-supplied upstream URL: https only (http just for loopback when
 * the deployment allows it), no userinfo, no query or fragment. Returns it
 * normalised without a trailing slash.
 */
export function validateUpstreamUrl(
  raw: string,
  field: string,
  config: RelayConfig,
  source: ClaimsSource = 'jwt',
): string {
  const payloadError = (detail: string) => claimsError(source, detail);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw payloadError(`${field} is not a valid URL`);
  }
  if (u.username !== '' || u.password !== '') throw payloadError(`${field} must not contain credentials`);
  if (u.search !== '' || u.hash !== '' || raw.includes('?') || raw.includes('#')) {
    throw payloadError(`${field} must not contain a query or fragment`);
  }
  if (u.protocol === 'http:') {
    if (!(config.allowLoopbackUpstreams && isLoopbackHost(u.hostname))) {
      throw payloadError(`${field} must use https`);
    }
  } else if (u.protocol !== 'https:') {
    throw payloadError(`${field} must use https`);
  }
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}
