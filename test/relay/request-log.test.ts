/** The request log line and `X-Request-Id`: one id per request, on the response and on every log line. */
import { describe, expect, it } from 'vitest';
import { RelayError, warning } from '../../src/kernel/errors.js';
import type { VendorModule } from '../../src/kernel/vendor.js';
import { makeApp } from '../helpers/app.js';
import { hs256 } from '../helpers/jwt.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Refers `ip`s; `203.0.113.1` is a connection error, `203.0.113.2` a warning; health fails with a 401 from upstream. */
const vendor: VendorModule<true> = {
  id: 'v',
  title: 'V',
  supportedTypes: new Set(['ip']),
  configure: (claims) => (claims.v ? true : undefined),
  health: async (_cfg, ctx) => {
    ctx.log.warn('checking the upstream');
    throw new RelayError('authorization error', 'Authorization failed: V rejected the API token (HTTP 401).');
  },
  refer: async (_cfg, observables) => ({
    data: [],
    errors: observables.flatMap((o) =>
      o.value === '203.0.113.1'
        ? [new RelayError('connection error', 'Unable to connect V.')]
        : o.value === '203.0.113.2'
          ? [warning('v-notice', 'Just so you know.')]
          : [],
    ),
  }),
};

const auth = async () => ({ authorization: `Bearer ${await hs256({ v: '1' })}` });
const requestLines = (logs: string[]) =>
  logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'request');

describe('request log outcome', () => {
  it.each([
    ['a fatal error in an HTTP 200 answer', '203.0.113.1', 'connection error'],
    ['a warning only', '203.0.113.2', 'ok'],
    ['no error', '203.0.113.3', 'ok'],
  ])('reports %s from the envelope', async (_name, ip, outcome) => {
    const { post, logs } = makeApp({ vendors: [vendor] });
    const res = await post('/refer/observables', [{ type: 'ip', value: ip }], await auth());
    expect(res.status).toBe(200);
    expect(requestLines(logs)).toEqual([expect.objectContaining({ status: 200, outcome })]);
  });

  it('reports an upstream 401 on /health as an authorization error, not ok', async () => {
    const { post, logs } = makeApp({ vendors: [vendor] });
    await post('/health', undefined, await auth());
    expect(requestLines(logs)[0]).toMatchObject({ status: 200, outcome: 'authorization error' });
  });

  it('reports 404 and 405 by their status', async () => {
    const { app, logs } = makeApp({ vendors: [vendor] });
    await app.request('/nowhere', { method: 'POST' });
    await app.request('/health');
    expect(requestLines(logs).map((l) => l.outcome)).toEqual(['404', '405']);
  });
});

describe('X-Request-Id', () => {
  it('is on every kind of answer: success, relay error, 404, 405, oversized body, /version', async () => {
    const { app, post } = makeApp({ vendors: [vendor] });
    const answers = [
      await post('/refer/observables', [], await auth()),
      await post('/refer/observables', [], {}),
      await app.request('/nowhere', { method: 'POST' }),
      await app.request('/health'),
      await post('/observe/observables', 'x'.repeat(1024 * 1024 + 1), await auth()),
      await post('/version'),
      await app.request('/watchdog', { headers: { 'health-check': 'x' } }),
    ];
    for (const res of answers) expect(res.headers.get('x-request-id')).toMatch(UUID);
    expect(new Set(answers.map((r) => r.headers.get('x-request-id'))).size).toBe(answers.length);
  });

  it('ignores an incoming X-Request-Id', async () => {
    const { post } = makeApp({ vendors: [vendor] });
    const res = await post('/refer/observables', [], { ...(await auth()), 'x-request-id': 'forged-id' });
    expect(res.headers.get('x-request-id')).not.toBe('forged-id');
    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });

  it('is carried by every log line of its request, also when requests overlap', async () => {
    const { post, logs } = makeApp({ vendors: [vendor] });
    const h = await auth();
    const answers = await Promise.all([post('/health', undefined, h), post('/health', undefined, h)]);
    const ids = answers.map((r) => r.headers.get('x-request-id'));
    const lines = logs.map((l) => JSON.parse(l) as { message: string; request_id?: string });
    for (const id of ids) {
      const mine = lines.filter((l) => l.request_id === id).map((l) => l.message);
      expect(mine).toEqual(expect.arrayContaining(['checking the upstream', 'request']));
    }
    expect(lines.every((l) => ids.includes(l.request_id ?? null))).toBe(true);
  });
});
