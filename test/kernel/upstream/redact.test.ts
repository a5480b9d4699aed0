/** The one token-redaction implementation (`relay/logger.ts`), as the logger and the Vectra errors use it. */
import { describe, expect, it } from 'vitest';
import { redact, redactText } from '../../../src/kernel/logger.js';
import { scrubTokens } from '../../../src/kernel/upstream/errors.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

describe('redactText', () => {
  it('blanks JWTs and Bearer/Token/Basic values that look like credentials', () => {
    expect(redactText(`a ${JWT} b`)).toBe('a [redacted] b');
    expect(redactText('Bearer abcdef123456 and Token x.y-z_1234')).toBe(
      'Bearer [redacted] and Token [redacted]',
    );
    expect(redactText('Basic dXNlcjpwYXNzd29yZA==')).toBe('Basic [redacted]');
    // A long letters-only value is still a credential; short words after the scheme are prose.
    expect(redactText('Bearer abcdefghijklmnopqrstuvwxyz')).toBe('Bearer [redacted]');
    expect(redactText('Basic abcdefghijklmnopqrstu==.')).toBe('Basic [redacted]');
    expect(redactText('Token authentication failed. Basic auth-scheme is off')).toBe(
      'Token authentication failed. Basic auth-scheme is off',
    );
  });

  it('blanks the given secrets wherever they appear, from 4 characters on', () => {
    expect(redactText('id=s3cr3t-x and xs3cr3t-xx', ['s3cr3t-x'])).toBe('id=[redacted] and x[redacted]x');
    // Longest first, so that a secret containing another leaves no tail.
    expect(redactText('abcdefgh12345678', ['abcdefgh', 'abcdefgh12345678'])).toBe('[redacted]');
    expect(redactText('token t0k1 leaked', ['t0k1'])).toBe('token [redacted] leaked');
    // Shorter "secrets" would blank ordinary letters.
    expect(redactText('the key', ['key', '', undefined])).toBe('the key');
  });
});

describe('logger redact', () => {
  it('blanks secret-looking keys and token-looking strings', () => {
    expect(redact('client_secret', 'x')).toBe('[redacted]');
    expect(redact('authorization', 42)).toBe('[redacted]');
    expect(redact('module_key', 'k')).toBe('[redacted]');
    expect(redact('tokens', { a: 1 })).toEqual({ a: 1 });
    expect(redact('msg', `got ${JWT} with Bearer abc123def456`)).toBe(
      'got [redacted] with Bearer [redacted]',
    );
    expect(redact('count', 3)).toBe(3);
    // No opaque-string rule in logs: request ids and hashes stay readable.
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(redact('requestId', id)).toBe(id);
  });
});

describe('scrubTokens', () => {
  it('adds long opaque strings and the given secrets to redactText', () => {
    expect(scrubTokens('Bearer abcdef123456 and eyJa.eyJb.c')).toBe('Bearer [redacted] and [redacted]');
    expect(scrubTokens(`x ${'A1b2'.repeat(8)} y`)).toBe('x [redacted] y');
    expect(scrubTokens('short12345 echoed', ['short12345'])).toBe('[redacted] echoed');
  });
});
