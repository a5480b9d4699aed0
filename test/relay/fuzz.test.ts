import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/relay/schemas.js';
import { makeApp } from '../helpers/app.js';
import { hs256, unsigned } from '../helpers/jwt.js';

const paths = [...ROUTES.map((r) => r.path), '/nowhere', '/respond/trigger/', '/%2e%2e/health'];
const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

function isValidEnvelope(status: number, json: unknown): boolean {
  if (status === 404 || status === 405) return true;
  if (typeof json !== 'object' || json === null) return false;
  const body = json as Record<string, unknown>;
  if ('version' in body) return typeof body.version === 'string';
  if (!('data' in body) && !('errors' in body)) return false;
  if ('errors' in body) {
    const errors = body.errors as { type: string; code: string; message: string }[];
    return (
      Array.isArray(errors) &&
      errors.every(
        (e) =>
          ['fatal', 'warning'].includes(e.type) &&
          typeof e.code === 'string' &&
          typeof e.message === 'string',
      )
    );
  }
  return true;
}

describe('fuzzing every route', () => {
  it('answers every random request with a valid envelope, never a 500 or a stack trace', async () => {
    const { app } = makeApp();
    const valid = await hs256({ CTR_ENTITIES_LIMIT: 'abc' });
    const header = fc.oneof(
      fc.constant(undefined),
      fc.constant(`Bearer ${valid}`),
      fc.constant(`Bearer ${unsigned({})}`),
      fc.string(),
      fc.string().map((s) => `Bearer ${s}`),
      fc
        .tuple(fc.base64String(), fc.base64String(), fc.base64String())
        .map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
    );
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc
        .array(
          fc.record({
            type: fc.oneof(fc.constantFrom('ip', 'IPV6', 'domain', 'user'), fc.string()),
            value: fc.string(),
          }),
        )
        .map((a) => JSON.stringify(a)),
      fc.anything().map((a) => {
        try {
          return JSON.stringify(a) ?? '';
        } catch {
          return '';
        }
      }),
      fc
        .dictionary(
          fc.constantFrom(
            'action-id',
            'observable_type',
            'observable_value',
            'tile_id',
            'period',
            '__proto__',
          ),
          fc.jsonValue(),
        )
        .map((d) => JSON.stringify(d)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom(...methods),
        header,
        body,
        fc.string(),
        async (path, method, auth, payload, ctype) => {
          const headers: Record<string, string> = { 'content-type': ctype.replace(/[^\x20-\x7e]/g, '') };
          if (auth !== undefined) headers.authorization = auth.replace(/[^\x20-\x7e]/g, '');
          const res = await app.request(`http://localhost${path}`, {
            method,
            headers,
            body: method === 'GET' || method === 'OPTIONS' ? undefined : payload,
          });
          expect([200, 404, 405]).toContain(res.status);
          const text = await res.text();
          expect(text).not.toMatch(/at .+\.(ts|js):\d+/);
          expect(isValidEnvelope(res.status, JSON.parse(text))).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
