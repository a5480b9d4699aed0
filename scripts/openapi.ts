/**
 * Generates `openapi.json` (OpenAPI 3.1) and `postman/relay.postman_collection.json`
 * (Postman v2.1) from the route table in `src/relay/schemas.ts`, so the docs
 * cannot drift from what the relay validates. Request bodies come from the same
 * zod schemas (`toJSONSchema`); Postman sample bodies from `observables.json`.
 *
 * Usage: `tsx scripts/openapi.ts` writes both files; `--check` exits 1 when either is stale.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod/mini';
import { ROUTES, type RouteSpec } from '../src/relay/schemas.js';
import { fromRoot, isMain } from './lib/paths.js';

export const OPENAPI_PATH: string = fromRoot('openapi.json');
export const POSTMAN_PATH: string = fromRoot('postman', 'relay.postman_collection.json');
const EXAMPLE_URL = 'https://relay.example.com';
type Json = Record<string, unknown>;

interface Sample {
  readonly type: string;
  readonly value: string;
}

/** JSON Schema of a zod schema, without the `$schema` key (OpenAPI 3.1 implies 2020-12). */
function schemaOf(schema: z.ZodMiniType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
  }) as Json;
  return rest;
}

const operationId = (route: RouteSpec): string =>
  route.method +
  route.path
    .split(/[/-]/)
    .filter(Boolean)
    .map((p) => p[0]?.toUpperCase() + p.slice(1))
    .join('');

const tagOf = (route: RouteSpec): string => route.path.split('/')[1] ?? 'relay';

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

/** What `data` holds per route (documentation only; the relay builds CTIM itself). */
const DATA_SCHEMAS: Readonly<Record<string, Json>> = {
  '/health': { type: 'object', properties: { status: { const: 'ok' } } },
  '/observe/observables': {
    type: 'object',
    description: 'CTIM bundles: sightings, indicators, relationships…',
  },
  '/deliberate/observables': { type: 'object', description: 'CTIM verdicts (none for Vectra Detect)' },
  '/refer/observables': { type: 'array', items: { type: 'object' }, description: 'References (links)' },
  '/respond/observables': { type: 'array', items: { type: 'object' }, description: 'Available actions' },
  '/respond/trigger': {
    type: 'object',
    properties: { status: { type: 'string', enum: ['success', 'failure'] } },
  },
  '/tiles': { type: 'array', items: { type: 'object' }, description: 'Tile descriptors' },
  '/tiles/tile': { type: 'object', description: 'One tile descriptor' },
  '/tiles/tile-data': { type: 'object', description: 'Tile data for the period' },
  '/watchdog': { type: 'string', description: 'The Health-Check header value' },
};

function responsesOf(route: RouteSpec): Json {
  if (route.path === '/version') {
    return {
      '200': {
        description: 'The relay version (not wrapped in `data`)',
        content: { 'application/json': { schema: ref('Version') } },
      },
    };
  }
  const data = DATA_SCHEMAS[route.path] ?? {};
  return {
    '200': {
      description:
        'Data and/or errors. Relay-level errors (authorization, invalid argument, vendor failures) are answered with HTTP 200 and an `errors` array, as the platform expects.',
      content: {
        'application/json': {
          schema: { allOf: [ref('Envelope'), { type: 'object', properties: { data } }] },
        },
      },
    },
    '404': { description: 'Unknown path' },
    '405': { description: 'Method not allowed on a relay path' },
  };
}

/** The OpenAPI 3.1 document for the given routes. */
export function buildOpenApi(routes: readonly RouteSpec[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const op: Json = {
      operationId: operationId(route),
      summary: route.summary,
      tags: [tagOf(route)],
      security: route.auth ? [{ bearerAuth: [] }] : [],
    };
    if (route.path === '/watchdog') {
      op.parameters = [
        {
          name: 'Health-Check',
          in: 'header',
          required: true,
          description: 'Echoed back in `data`; missing gives a `health check failed` error',
          schema: { type: 'string' },
        },
      ];
    }
    if (route.request) {
      op.requestBody = {
        required: true,
        description: 'JSON body (parsed whatever the Content-Type)',
        content: { 'application/json': { schema: schemaOf(route.request) } },
      };
    }
    op.responses = responsesOf(route);
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vectra Detect relay for Cisco XDR',
      version,
      description:
        'Cisco XDR / Threat Response relay module for Vectra Detect with AWS VPC network ACL blocking. ' +
        'Authenticated routes take `Authorization: Bearer <JWT>`: an XDR-issued RS256 configuration token, or an HS256 token from `npm run jwt`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [
      {
        url: '{relay_url}',
        description: 'The RelayUrl output of the deployed stage',
        variables: { relay_url: { default: EXAMPLE_URL } },
      },
    ],
    tags: [...new Set(routes.map(tagOf))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['type', 'code', 'message'],
          properties: {
            type: { type: 'string', enum: ['fatal', 'warning'] },
            code: { type: 'string', examples: ['authorization error', 'invalid argument'] },
            message: { type: 'string' },
          },
        },
        Envelope: {
          type: 'object',
          description: '`data` on success, `errors` on failure; both when partial data comes with errors',
          properties: { data: {}, errors: { type: 'array', items: ref('Error') } },
        },
        Version: { type: 'object', required: ['version'], properties: { version: { type: 'string' } } },
      },
    },
  };
}

/** Sample request bodies by `RouteSpec.sample` name. */
function samples(observables: readonly Sample[]): Record<NonNullable<RouteSpec['sample']>, unknown> {
  return {
    observables,
    trigger: {
      'action-id': '{{action_id}}',
      observable_type: `{{observable_type}}`,
      observable_value: `{{observable_value}}`,
      ...Object.fromEntries(TRIGGER_PARAMS.map((k) => [k, `{{${k}}}`])),
    },
    tile: { tile_id: '{{tile_id}}' },
    'tile-data': { tile_id: '{{tile_id}}', period: '{{period}}' },
  };
}

/** The query-params of the actions `/respond/observables` offers; the trigger item carries each. */
export const TRIGGER_PARAMS = ['host_id', 'account_id', 'client_id', 'nacl_id'] as const;

/**
 * Test of every request: HTTP 200 is not enough, since the relay answers its
 * errors with HTTP 200 — a fatal entry in `errors` fails the request.
 */
const NO_FATAL_ERROR = [
  "pm.test('HTTP 200', () => pm.response.to.have.status(200));",
  "pm.test('no fatal error in the answer', () => {",
  '  const errors = pm.response.json().errors || [];',
  "  const fatal = errors.filter((e) => e.type !== 'warning');",
  '  pm.expect(fatal, JSON.stringify(fatal)).to.eql([]);',
  '});',
];

/** Extra test lines per route: what later items need from this answer. */
const FOLLOW_UP: Record<string, string[]> = {
  // The action to trigger is the one named by `action_id` (and `client_id` when set):
  // its query-params become the trigger's variables. No action_id: the trigger is skipped.
  '/respond/observables': [
    "const wanted = pm.variables.get('action_id');",
    "const client = pm.variables.get('client_id');",
    'if (wanted) {',
    '  const offered = pm.response.json().data || [];',
    "  const action = offered.find((a) => a.id === wanted && (!client || a['query-params'].client_id === client));",
    "  pm.test('offers action ' + wanted, () => pm.expect(action, offered.map((a) => a.id).join(', ')).to.be.an('object'));",
    '  if (action) {',
    `    for (const key of ${JSON.stringify(['observable_type', 'observable_value', ...TRIGGER_PARAMS])}) {`,
    "      pm.collectionVariables.set(key, action['query-params'][key] || '');",
    '    }',
    '  }',
    '}',
  ],
  '/respond/trigger': [
    "pm.test('the action succeeded', () => pm.expect(pm.response.json().data).to.eql({ status: 'success' }));",
  ],
  // The first tile and its default period, unless tile_id is set.
  '/tiles': [
    'const tiles = pm.response.json().data || [];',
    "if (!pm.variables.get('tile_id') && tiles[0]) {",
    "  pm.collectionVariables.set('tile_id', tiles[0].id);",
    "  pm.collectionVariables.set('period', tiles[0].default_period);",
    '}',
  ],
};

/** Runs before a request: the trigger needs an action chosen by `action_id`. */
const PRE_REQUEST: Record<string, string[]> = {
  '/respond/trigger': [
    "if (!pm.variables.get('action_id')) {",
    "  console.log('POST /respond/trigger skipped: set action_id (and client_id) to an action /respond/observables offers');",
    '  pm.execution.skipRequest();',
    '}',
  ],
};

const script = (listen: 'test' | 'prerequest', exec: string[]): Json => ({
  listen,
  script: { type: 'text/javascript', exec },
});

/** The Postman v2.1 collection: `{{relay_url}}`, Bearer `{{jwt}}`, one request per route. */
export function buildPostman(
  routes: readonly RouteSpec[],
  observables: readonly Sample[],
  version: string,
): Json {
  const bodies = samples(observables);
  const item = routes.map((route) => {
    const segments = route.path.split('/').filter(Boolean);
    const header: Json[] = [];
    const request: Json = { method: route.method.toUpperCase(), header };
    if (!route.auth) request.auth = { type: 'noauth' };
    if (route.path === '/watchdog') header.push({ key: 'Health-Check', value: 'postman' });
    if (route.method === 'post') {
      header.push({ key: 'Content-Type', value: 'application/json' });
      const body = route.sample ? bodies[route.sample] : undefined;
      if (body !== undefined) {
        request.body = {
          mode: 'raw',
          raw: JSON.stringify(body, null, 2),
          options: { raw: { language: 'json' } },
        };
      }
    }
    request.url = { raw: `{{relay_url}}${route.path}`, host: ['{{relay_url}}'], path: segments };
    request.description = route.summary;
    const event = [script('test', [...NO_FATAL_ERROR, ...(FOLLOW_UP[route.path] ?? [])])];
    const before = PRE_REQUEST[route.path];
    if (before) event.unshift(script('prerequest', before));
    return { name: `${route.method.toUpperCase()} ${route.path}`, event, request };
  });
  return {
    info: {
      name: 'Vectra Detect relay',
      description: `Relay API v${version}. Set relay_url to the stage's RelayUrl output and jwt to a token (npm run jwt).`,
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{jwt}}', type: 'string' }] },
    variable: [
      { key: 'relay_url', value: EXAMPLE_URL, type: 'string' },
      { key: 'jwt', value: '', type: 'string' },
      {
        key: 'action_id',
        value: '',
        type: 'string',
        description:
          'The action POST /respond/trigger runs, one /respond/observables offers (e.g. vectra-block-host); empty: the trigger is skipped',
      },
      {
        key: 'client_id',
        value: '',
        type: 'string',
        description:
          'With action_id: the block client of the action (e.g. aws_nacl); empty: the first offered',
      },
      ...['observable_type', 'observable_value', ...TRIGGER_PARAMS.filter((k) => k !== 'client_id')].map(
        (key) => ({
          key,
          value: '',
          type: 'string',
          description: 'Set by POST /respond/observables from the chosen action',
        }),
      ),
      {
        key: 'tile_id',
        value: '',
        type: 'string',
        description: 'A tile id listed by /tiles (default: the first)',
      },
      {
        key: 'period',
        value: '',
        type: 'string',
        description: 'A period of that tile (default: its default)',
      },
    ],
    item,
  };
}

export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

const toText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Both generated files, in memory. Reads `package.json` (version) and `observables.json` (samples). */
export async function generate(): Promise<GeneratedFile[]> {
  const pkg = JSON.parse(await readFile(fromRoot('package.json'), 'utf8')) as { version: string };
  const observables = JSON.parse(await readFile(fromRoot('observables.json'), 'utf8')) as Sample[];
  return [
    { path: OPENAPI_PATH, content: toText(buildOpenApi(ROUTES, pkg.version)) },
    { path: POSTMAN_PATH, content: toText(buildPostman(ROUTES, observables, pkg.version)) },
  ];
}

/** Generated files whose committed copy is missing or different. */
export async function staleFiles(files?: readonly GeneratedFile[]): Promise<string[]> {
  const stale: string[] = [];
  for (const file of files ?? (await generate())) {
    const committed = await readFile(file.path, 'utf8').catch(() => undefined);
    if (committed !== file.content) stale.push(relative(fromRoot(), file.path));
  }
  return stale;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const files = await generate();
  if (values.check) {
    const stale = await staleFiles(files);
    if (stale.length) {
      console.error(
        `Stale generated file(s): ${stale.join(', ')}. Run npm run openapi and commit the result.`,
      );
      return 1;
    }
    console.log('openapi.json and the Postman collection are up to date.');
    return 0;
  }
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, file.content);
    console.log(`wrote ${relative(process.cwd(), file.path)}`);
  }
  return 0;
}

if (isMain(import.meta.url)) process.exitCode = await main();
