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
    const trigger = postman.item.find((i: Json) => i.name === 'POST /respond/trigger');
    expect(JSON.parse(trigger.request.body.raw)).toEqual({
      'action-id': '{{action_id}}',
      observable_type: 'ip',
      observable_value: '203.0.113.66',
    });
  });

  it('sends no token to the unauthenticated routes', () => {
    const noauth = postman.item
      .filter((i: Json) => i.request.auth?.type === 'noauth')
      .map((i: Json) => i.name);
    expect(noauth).toEqual(['POST /version', 'GET /watchdog']);
  });
});
