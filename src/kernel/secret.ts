/**
 * Secrets the way Cisco's relay JWT generator makes them: 64 characters from
 * [A-Za-z0-9], uniformly drawn from the OS CSPRNG. Used by `npm run jwt` and
 * by the sandbox for its fresh HS256 key.
 */
import { randomBytes } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A uniformly random string over [A-Za-z0-9] from the OS CSPRNG (rejection sampling, no modulo bias). */
export function generateSecret(length = 64): string {
  const limit = 256 - (256 % ALPHANUMERIC.length); // 248: bytes at or above are discarded
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += ALPHANUMERIC[byte % ALPHANUMERIC.length];
      if (out.length === length) break;
    }
  }
  return out;
}
