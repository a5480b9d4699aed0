import { describe, expect, it } from 'vitest';
import { RelayError } from '../../src/kernel/errors.js';
import { statusError } from '../../src/kernel/upstream/errors.js';
import type { VendorModule } from '../../src/kernel/vendor.js';
import { makeApp } from '../helpers/app.js';
import { hs256, TEST_SECRET } from '../helpers/jwt.js';

const auth = async (payload: Record<string, unknown> = {}) => ({
  authorization: `Bearer ${await hs256(payload)}`,
});

const RELAY_POSTS = [
  '/health',
  '/deliberate/observables',
  '/observe/observables',
  '/refer/observables',
  '/respond/observables',
  '/respond/trigger',
  '/tiles',
  '/tiles/tile',
  '/tiles/tile-data',
  '/version',
];

/** A fake vendor: ip observables, fails on value 203.0.113.13, always configured when `fake` claim is set. */
const fakeVendor: VendorModule<{ on: true }> = {
  id: 'fake',
  title: 'Fake',
  supportedTypes: new Set(['ip']),
  configure: (claims) => (claims.fake ? { on: true } : undefined),
  observe: async (_cfg, observables) => {
    if (observables.some((o) => o.value === '203.0.113.99')) throw new TypeError('a bug in a vendor');
    const errors: unknown[] = [];
    const sightings = [];
    for (const o of observables) {
      if (o.value === '203.0.113.13') errors.push(new RelayError('service unavailable', 'Fake is down.'));
      else sightings.push({ type: 'sighting', value: o.value });
    }
    return { data: { sightings }, errors };
  },
  refer: async (_cfg, observables) => ({
    data: observables.map((o) => ({
      id: `ref-${o.value}`,
      title: 't',
      description: 'd',
      url: 'u',
      categories: [],
    })),
    errors: [],
  }),
  ownsAction: (id) => id.startsWith('fake-'),
  trigger: async (_cfg, req) => {
    if (req.observable.value === 'boom') throw new Error('secret detail that must not leak');
    if (req.observable.value === 'upstream')
      throw statusError('Vectra Detect', 403, 'upstream says: call +1-555-PHISH');
    return { elements: ['e1'], client: 'fake' };
  },
};

describe('routing', () => {
  it.each([
    ['POST', '/post'],
    ['GET', '/get'],
    ['PUT', '/put'],
    ['DELETE', '/delete'],
  ])('answers 404 for %s %s', async (method, path) => {
    const { app } = makeApp();
    expect((await app.request(path, { method })).status).toBe(404);
  });

  it.each([
    ...RELAY_POSTS.map((p) => ['GET', p]),
    ['POST', '/watchdog'],
    ['PUT', '/health'],
    ['DELETE', '/respond/trigger'],
  ])('answers 405 for %s %s, with an Allow header and the relay JSON shape', async (method, path) => {
    const { app } = makeApp();
    const res = await app.request(path as string, { method: method as string });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(path === '/watchdog' ? 'GET, HEAD' : 'POST');
    expect(await res.json()).toEqual({ code: 405, message: 'Method Not Allowed' });
  });

  it.each([
    ['GET', '/health/'],
    ['GET', '/respond/trigger/'],
  ])('answers 405 for %s %s too (trailing slash)', async (method, path) => {
    const { app } = makeApp();
    const res = await app.request(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('answers a trigger whose body is too large with data.status, and audits it', async () => {
    const { app } = makeApp();
    const res = await app.request('/respond/trigger', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(1024 * 1024 + 10),
    });
    const body = (await res.json()) as { data?: { status: string }; errors?: { code: string }[] };
    expect(body.data).toEqual({ status: 'failure' });
    expect(body.errors?.[0]?.code).toBe('invalid argument');
  });

  it('tolerates a trailing slash', async () => {
    const { post } = makeApp();
    const res = await post('/version/');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ version: '0.0.0-test' });
  });
});

describe('version and watchdog', () => {
  it('returns the version without authentication, not wrapped in data', async () => {
    const { post } = makeApp();
    expect(await (await post('/version')).json()).toEqual({ version: '0.0.0-test' });
  });

  it('echoes the Health-Check header', async () => {
    const { app } = makeApp();
    const res = await app.request('/watchdog', { headers: { 'Health-Check': 'test' } });
    expect(await res.json()).toEqual({ data: 'test' });
  });

  it('answers health check failed without the header', async () => {
    const { app } = makeApp();
    const res = await app.request('/watchdog');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      errors: [{ type: 'fatal', code: 'health check failed', message: 'Invalid Health Check' }],
    });
  });
});

describe('observable validation', () => {
  it.each([
    ['a blank value', [{ type: 'ip', value: '' }], '{"0":{"value":["Field may not be blank."]}}'],
    ['a missing value', [{ type: 'ip' }], '{"0":{"value":["Missing data for required field."]}}'],
    ['an unknown field', [{ type: 'ip', value: '1.1.1.1', extra: 1 }], '{"0":{"extra":["Unknown field."]}}'],
    ['a non-list body', { type: 'ip', value: '1.1.1.1' }, '{"_schema":["Invalid input type."]}'],
    ['malformed JSON', '[{"type": "ip",', '{"_schema":["Invalid input type."]}'],
    ['a number as value', [{ type: 'ip', value: 7 }], '{"0":{"value":["Not a valid string."]}}'],
    [
      'two bad items',
      [{ type: '', value: '1.1.1.1' }, { value: 'x' }],
      '{"0":{"type":["Field may not be blank."]},"1":{"type":["Missing data for required field."]}}',
    ],
  ])("rejects %s with the relay contract's wording", async (_name, body, map) => {
    const { post } = makeApp();
    const res = await post('/observe/observables', body, await auth());
    const json = (await res.json()) as { errors: { code: string; message: string }[] };
    expect(res.status).toBe(200);
    expect(json.errors[0]).toEqual({
      type: 'fatal',
      code: 'invalid argument',
      message: `Invalid JSON payload received. ${map}`,
    });
  });

  it('parses JSON whatever the Content-Type', async () => {
    const { app } = makeApp();
    const res = await app.request('/refer/observables', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...(await auth()) },
      body: JSON.stringify([{ type: 'ip', value: '1.1.1.1' }]),
    });
    expect(await res.json()).toEqual({ data: [] });
  });

  it('refuses more than 1000 observables', async () => {
    const { post } = makeApp();
    const body = Array.from({ length: 1001 }, (_, i) => ({ type: 'ip', value: `10.0.${i >> 8}.${i & 255}` }));
    const json = (await (await post('/observe/observables', body, await auth())).json()) as {
      errors: { message: string }[];
    };
    expect(json.errors[0]?.message).toContain('Too many observables: 1001');
  });

  it('refuses a body over 1 MiB with invalid argument, not a crash', async () => {
    const { post } = makeApp();
    const body = JSON.stringify([{ type: 'ip', value: 'x'.repeat(1024 * 1024) }]);
    const res = await post('/observe/observables', body, await auth());
    expect(res.status).toBe(200);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('invalid argument');
  });
});

describe('empty shapes', () => {
  it.each([
    ['/observe/observables', {}],
    ['/deliberate/observables', {}],
    ['/refer/observables', []],
    ['/respond/observables', []],
  ])('%s answers the empty shape when no vendor supports the observables', async (path, empty) => {
    const { post } = makeApp();
    const res = await post(path, [{ type: 'ip', value: '1.1.1.1' }], await auth());
    expect(await res.json()).toEqual({ data: empty });
  });

  it.each(['/health', '/observe/observables', '/refer/observables', '/respond/trigger', '/tiles'])(
    '%s refuses a token that enables no vendor, naming the fields that would',
    async (path) => {
      const { post } = makeApp({ vendors: [fakeVendor] });
      const json = (await (await post(path, [], await auth({ foo: 'bar' }))).json()) as {
        errors: { type: string; code: string; message: string }[];
      };
      expect(json.errors).toEqual([
        {
          type: 'fatal',
          code: 'authorization error',
          message:
            'Authorization failed: Wrong JWT payload structure: the token enables no vendor and no block client; set vectra_url (Vectra Detect) or block_clients (e.g. aws_nacl)',
        },
      ]);
    },
  );

  it('filters unsupported types instead of rejecting them', async () => {
    const { post } = makeApp({ vendors: [fakeVendor] });
    const res = await post(
      '/observe/observables',
      [{ type: 'unknown', value: 'https://google.com' }],
      await auth({ fake: '1' }),
    );
    expect(await res.json()).toEqual({ data: {} });
  });

  it('health is ok when the enabled vendors have no health check', async () => {
    const { post } = makeApp();
    expect(await (await post('/health', undefined, await auth())).json()).toEqual({ data: { status: 'ok' } });
  });
});

describe('partial results', () => {
  it('returns data and errors together when one observable fails', async () => {
    const { post } = makeApp({ vendors: [fakeVendor] });
    const body = [
      { type: 'IP', value: '198.51.100.1' },
      { type: 'ip', value: '198.51.100.1' },
      { type: 'ip', value: '203.0.113.13' },
    ];
    const json = await (await post('/observe/observables', body, await auth({ fake: '1' }))).json();
    expect(json).toEqual({
      data: { sightings: { count: 1, docs: [{ type: 'sighting', value: '198.51.100.1' }] } },
      errors: [{ type: 'fatal', code: 'service unavailable', message: 'Fake is down.' }],
    });
  });

  it('omits data when nothing was collected', async () => {
    const { post } = makeApp({ vendors: [fakeVendor] });
    const json = await (
      await post('/observe/observables', [{ type: 'ip', value: '203.0.113.13' }], await auth({ fake: '1' }))
    ).json();
    expect(json).toEqual({
      errors: [{ type: 'fatal', code: 'service unavailable', message: 'Fake is down.' }],
    });
  });
});

describe('respond trigger', () => {
  const trigger = { 'action-id': 'fake-block', observable_type: 'ip', observable_value: '1.1.1.1' };

  it('answers success for an owned action', async () => {
    const { post } = makeApp({ vendors: [fakeVendor] });
    expect(await (await post('/respond/trigger', trigger, await auth({ fake: '1' }))).json()).toEqual({
      data: { status: 'success' },
    });
  });

  it('answers Unsupported action with data.status failure', async () => {
    const { post } = makeApp({ vendors: [fakeVendor] });
    const json = await (
      await post('/respond/trigger', { ...trigger, 'action-id': 'other' }, await auth({ fake: '1' }))
    ).json();
    expect(json).toEqual({
      data: { status: 'failure' },
      errors: [{ type: 'fatal', code: 'invalid argument', message: 'Unsupported action.' }],
    });
  });

  it('names a missing action-id and keeps data.status', async () => {
    const { post } = makeApp({ vendors: [fakeVendor] });
    const { action_id: _, ...rest } = { ...trigger, action_id: 'x' };
    const json = (await (
      await post('/respond/trigger', { ...rest, 'action-id': undefined }, await auth({ fake: '1' }))
    ).json()) as {
      data: unknown;
      errors: { message: string }[];
    };
    expect(json.data).toEqual({ status: 'failure' });
    expect(json.errors[0]?.message).toBe(
      'Invalid JSON payload received. {"action-id":["Missing data for required field."]}',
    );
  });

  it('keeps data.status on an authentication failure', async () => {
    const { post } = makeApp();
    expect(await (await post('/respond/trigger', trigger)).json()).toEqual({
      data: { status: 'failure' },
      errors: [
        {
          type: 'fatal',
          code: 'authorization error',
          message: 'Authorization failed: Authorization header is missing',
        },
      ],
    });
  });

  it('hides unexpected errors behind unknown', async () => {
    const { post, logs } = makeApp({ vendors: [fakeVendor] });
    const json = JSON.stringify(
      await (
        await post('/respond/trigger', { ...trigger, observable_value: 'boom' }, await auth({ fake: '1' }))
      ).json(),
    );
    expect(json).toContain('"status":"failure"');
    expect(json).toContain('Something went wrong.');
    expect(json).not.toContain('secret detail');
    expect(logs.join('\n')).not.toContain('secret detail');
  });

  it('writes exactly one audit record per trigger', async () => {
    const { post, logs } = makeApp({ vendors: [fakeVendor] });
    await post('/respond/trigger', trigger, {
      ...(await auth({ fake: '1' })),
      'x-module-instance-id': 'mod-1',
    });
    const records = logs
      .filter((l) => l.includes('"audit"'))
      .map((l) => JSON.parse(l) as { audit: Record<string, unknown> });
    expect(records).toHaveLength(1);
    expect(records[0]?.audit).toMatchObject({
      action: 'fake-block',
      outcome: 'success',
      elements: ['e1'],
      client: 'fake',
      claimedModuleInstanceId: 'mod-1',
      observable: { type: 'ip', value: '1.1.1.1' },
    });
  });
});

describe('audit identity and error (issue 12)', () => {
  const trigger = { 'action-id': 'fake-block', observable_type: 'ip', observable_value: 'upstream' };
  it('records the module instance as claimed, identity from verified claims, and only our own error words', async () => {
    const { post, logs } = makeApp({ vendors: [fakeVendor] });
    await post('/respond/trigger', trigger, {
      ...(await auth({ fake: '1', jwks_host: 'visibility.amp.cisco.com' })),
      'x-module-instance-id': 'mod-1"}<script>',
    });
    const audit = logs
      .filter((l) => l.includes('"audit"'))
      .map((l) => (JSON.parse(l) as { audit: Record<string, unknown> }).audit)[0];
    expect(audit).toMatchObject({
      claimedModuleInstanceId: 'mod-1___script_',
      identity: {
        jwksHost: 'visibility.amp.cisco.com',
        configFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      },
      error: 'Permission denied by Vectra Detect.',
    });
    expect(audit).not.toHaveProperty('moduleInstanceId');
    expect(JSON.stringify(audit)).not.toContain('PHISH');
  });
});

describe('errors leave a log line and stay small (issue 12)', () => {
  it('logs the name and code of every error answered as "Something went wrong."', async () => {
    const { post, logs } = makeApp({ vendors: [fakeVendor] });
    const res = await post(
      '/observe/observables',
      [{ type: 'ip', value: '203.0.113.99' }],
      await auth({ fake: '1' }),
    );
    expect(JSON.stringify(await res.json())).toContain('Something went wrong.');
    const line = logs.find((l) => l.includes('unexpected error answered'));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({ where: 'fake', errorName: 'TypeError' });
    expect(line).not.toContain('a bug in a vendor');
  });

  it('cuts echoed unknown field names short', async () => {
    const { post } = makeApp({ vendors: [fakeVendor] });
    const key = 'k'.repeat(200_000);
    const res = await post(
      '/observe/observables',
      [{ type: 'ip', value: '1.1.1.1', [key]: 1 }],
      await auth({ fake: '1' }),
    );
    const text = await res.text();
    expect(text.length).toBeLessThan(1000);
    expect(text).toContain('Unknown field');
  });
});

describe('request log', () => {
  it('records route, vendors, outcome and duration of each request', async () => {
    const { post, logs } = makeApp({ vendors: [fakeVendor] });
    await post('/observe/observables', [{ type: 'ip', value: '198.51.100.1' }], await auth({ fake: '1' }));
    await post('/health');
    const lines = logs
      .filter((l) => l.includes('"message":"request"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      route: '/observe/observables',
      status: 200,
      vendors: ['fake'],
      outcome: 'ok',
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
    expect(lines[1]).toMatchObject({ route: '/health', vendors: [], outcome: 'authorization error' });
  });
});

describe('secrets', () => {
  it('logs no token, secret or credential of a full request', async () => {
    const { post, logs } = makeApp({ vendors: [fakeVendor] });
    const token = await hs256({
      fake: '1',
      vectra_token: 'vt-super-secret-value',
      aws_external_id: 'ext-secret',
    });
    await post('/observe/observables', [{ type: 'ip', value: '198.51.100.1' }], {
      authorization: `Bearer ${token}`,
    });
    await post(
      '/respond/trigger',
      { 'action-id': 'fake-x', observable_type: 'ip', observable_value: '1.1.1.1' },
      {
        authorization: `Bearer ${token}`,
      },
    );
    const all = logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [
      token,
      TEST_SECRET,
      'vt-super-secret-value',
      'ext-secret',
      token.split('.')[1] as string,
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
