import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { fromRoot } from '../../scripts/lib/paths.js';
import {
  type GeneratedFile,
  generate,
  OPENAPI_PATH,
  POSTMAN_PATH,
  staleFiles,
} from '../../scripts/openapi.js';
import { ObservablesSchema } from '../../src/kernel/observables.js';
import { ROUTES } from '../../src/relay/schemas.js';

// biome-ignore lint/suspicious/noExplicitAny: generated JSON is walked freely in assertions
type Json = Record<string, any>;

let files: GeneratedFile[];
let openapi: Json;
let postman: Json;

beforeAll(async () => {
  files = await generate();
  openapi = JSON.parse(files.find((f) => f.path === OPENAPI_PATH)?.content ?? '{}');
  postman = JSON.parse(files.find((f) => f.path === POSTMAN_PATH)?.content ?? '{}');
});

const testScript = (item: Json): string =>
  item.event.find((e: Json) => e.listen === 'test').script.exec.join('\n');

interface FakePm {
  results: { name: string; passed: boolean }[];
  set: Record<string, string>;
  skipped: boolean;
}

/** Just enough of Postman's `pm` to run the collection's scripts on a given answer. */
function fakePm(body: unknown, vars: Record<string, string> = {}): FakePm {
  const state: FakePm = { results: [], set: {}, skipped: false };
  const expectation = (actual: unknown, message?: string) => ({
    to: {
      eql: (wanted: unknown) => expect(actual, message).toEqual(wanted),
      be: { an: (type: string) => expect(typeof actual, message).toBe(type) },
    },
  });
  return Object.assign(state, {
    test: (name: string, fn: () => void) => {
      try {
        fn();
        state.results.push({ name, passed: true });
      } catch {
        state.results.push({ name, passed: false });
      }
    },
    expect: expectation,
    response: { json: () => body, to: { have: { status: (n: number) => expect(n).toBe(200) } } },
    variables: { get: (k: string) => state.set[k] ?? vars[k] ?? '' },
    collectionVariables: { set: (k: string, v: string) => (state.set[k] = v) },
    execution: { skipRequest: () => (state.skipped = true) },
  });
}

const run = (code: string, pm: unknown): void => {
  new Function('pm', 'console', code)(pm, { log: () => {} });
};

describe('generated API documents', () => {
  it('are committed and up to date (run `npm run openapi` when this fails)', async () => {
    expect(await staleFiles(files)).toEqual([]);
  });

  it('notices a stale file', async () => {
    const changed = files.map((f) => (f.path === POSTMAN_PATH ? { ...f, content: `${f.content} ` } : f));
    expect(await staleFiles(changed)).toEqual(['postman/relay.postman_collection.json']);
  });
});

describe('openapi.json', () => {
  it('is OpenAPI 3.1 with the package version and a bearer scheme', () => {
    const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string };
    expect(openapi.openapi).toBe('3.1.0');
    expect(openapi.info.version).toBe(pkg.version);
    expect(openapi.components.securitySchemes.bearerAuth).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
  });

  it('documents every route with its method and authentication, and nothing else', () => {
    const documented = Object.entries(openapi.paths as Json).flatMap(([path, ops]) =>
      Object.entries(ops as Json).map(([method, op]) => [path, method, (op as Json).security.length > 0]),
    );
    expect(documented).toEqual(ROUTES.map((r) => [r.path, r.method, r.auth]));
  });

  it('takes request bodies from the zod schemas', () => {
    const body = openapi.paths['/observe/observables'].post.requestBody.content['application/json'].schema;
    const { $schema: _ignored, ...expected } = z.toJSONSchema(ObservablesSchema, { io: 'input' }) as Json;
    expect(body).toEqual(expected);
    expect(
      openapi.paths['/tiles/tile-data'].post.requestBody.content['application/json'].schema.properties.period
        .enum,
    ).toContain('last_7_days');
    expect(openapi.paths['/health'].post).not.toHaveProperty('requestBody');
  });

  it('describes the data/errors envelope and the bare /version answer', () => {
    expect(openapi.components.schemas.Error.required).toEqual(['type', 'code', 'message']);
    const ok = openapi.paths['/respond/trigger'].post.responses['200'].content['application/json'].schema;
    expect(ok.allOf[0]).toEqual({ $ref: '#/components/schemas/Envelope' });
    expect(openapi.paths['/version'].post.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Version',
    });
  });

  it('has resolvable $refs and unique operation ids', () => {
    const text = JSON.stringify(openapi);
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      expect(openapi.components.schemas).toHaveProperty(name as string);
    }
    const ids = Object.values(openapi.paths as Json).flatMap((ops) =>
      Object.values(ops as Json).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ROUTES.length);
  });
});

describe('Postman collection', () => {
  it('is a v2.1 collection with relay_url and jwt variables and bearer auth', () => {
    expect(postman.info.schema).toBe('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    expect(postman.variable.map((v: Json) => v.key)).toEqual(expect.arrayContaining(['relay_url', 'jwt']));
    expect(postman.auth).toEqual({
      type: 'bearer',
      bearer: [{ key: 'token', value: '{{jwt}}', type: 'string' }],
    });
  });

  it('has one request per route, with sample bodies from observables.json', () => {
    const observables = JSON.parse(readFileSync(fromRoot('observables.json'), 'utf8')) as unknown;
    expect(postman.item.map((i: Json) => i.name)).toEqual(
      ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`),
    );
    for (const item of postman.item as Json[]) {
      expect(item.request.url.raw).toMatch(/^\{\{relay_url\}\}\//);
    }
    const observe = postman.item.find((i: Json) => i.name === 'POST /observe/observables');
    expect(JSON.parse(observe.request.body.raw)).toEqual(observables);
  });

  it('gives the trigger every variable an action needs, filled from the action /respond/observables offers', () => {
    const trigger = postman.item.find((i: Json) => i.name === 'POST /respond/trigger');
    expect(JSON.parse(trigger.request.body.raw)).toEqual({
      'action-id': '{{action_id}}',
      observable_type: '{{observable_type}}',
      observable_value: '{{observable_value}}',
      host_id: '{{host_id}}',
      account_id: '{{account_id}}',
      client_id: '{{client_id}}',
      nacl_id: '{{nacl_id}}',
    });
    const keys = postman.variable.map((v: Json) => v.key);
    for (const key of ['action_id', 'host_id', 'client_id', 'nacl_id', 'tile_id', 'period']) {
      expect(keys).toContain(key);
    }
    const respond = postman.item.find((i: Json) => i.name === 'POST /respond/observables');
    const pm = fakePm(
      {
        data: [
          {
            id: 'vectra-block-host',
            'query-params': {
              observable_type: 'ip',
              observable_value: '10.0.0.1',
              host_id: '7',
              client_id: 'test_client',
            },
          },
          {
            id: 'vectra-block-host',
            'query-params': {
              observable_type: 'ip',
              observable_value: '10.0.0.1',
              host_id: '7',
              client_id: 'aws_nacl',
            },
          },
        ],
      },
      { action_id: 'vectra-block-host', client_id: 'aws_nacl' },
    );
    run(testScript(respond), pm);
    expect(pm.set).toMatchObject({
      host_id: '7',
      client_id: 'aws_nacl',
      nacl_id: '',
      observable_value: '10.0.0.1',
    });
  });

  it('fails every request on a fatal errors entry, since the relay answers errors with HTTP 200', () => {
    for (const item of postman.item as Json[]) {
      const fatal = fakePm({ errors: [{ type: 'fatal', code: 'connection error', message: 'm' }] });
      run(testScript(item), fatal);
      expect(
        fatal.results.some((r) => !r.passed),
        item.name,
      ).toBe(true);
      const warned = fakePm({ data: {}, errors: [{ type: 'warning', code: 'w', message: 'm' }] });
      run(testScript(item), warned);
      const failed = warned.results.filter((r) => !r.passed).map((r) => r.name);
      expect(failed, item.name).not.toContain('no fatal error in the answer');
    }
  });

  it('skips the trigger unless action_id names the action to run', () => {
    const trigger = postman.item.find((i: Json) => i.name === 'POST /respond/trigger');
    const pre = trigger.event.find((e: Json) => e.listen === 'prerequest').script.exec.join('\n');
    const idle = fakePm({});
    run(pre, idle);
    expect(idle.skipped).toBe(true);
    const chosen = fakePm({}, { action_id: 'vectra-block-host' });
    run(pre, chosen);
    expect(chosen.skipped).toBe(false);
  });

  it('sends no token to the unauthenticated routes', () => {
    const noauth = postman.item
      .filter((i: Json) => i.request.auth?.type === 'noauth')
      .map((i: Json) => i.name);
    expect(noauth).toEqual(['POST /version', 'GET /watchdog']);
  });
});
