/**
 * Keeps `module_type.json` (XDR module-type registration) valid against the
 * module-type format and in step with `module_settings.json` and the routes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fromRoot } from '../scripts/lib/paths.js';
import { staleModuleFiles } from '../scripts/module-files.js';
import { ROUTES } from '../src/relay/schemas.js';
import { FIELD_GROUPS } from '../src/vendors/fields.js';

const SUPPORTED_APIS = [
  'health',
  'deliberate/observables',
  'observe/observables',
  'refer/observables',
  'respond/observables',
  'respond/trigger',
  'tiles',
  'tiles/tile',
  'tiles/tile-data',
] as const;

const markdown = z.string().min(20);
const ConfigField = z.strictObject({
  key: z.string().regex(/^[\w-]+$/),
  type: z.enum(['password', 'string', 'api_key', 'integer', 'device', 'options', 'boolean']),
  label: z.string().min(1),
  tooltip: z.string().min(1).optional(),
  subtype: z.string().optional(),
  required: z.boolean().optional(),
  options: z
    .array(z.strictObject({ value: z.string().min(1), label: z.string().min(1) }))
    .min(1)
    .optional(),
  group: z.string().min(1).optional(),
});
const ModuleTypeSchema = z.strictObject({
  title: z.string().min(1),
  default_name: z.string().min(1),
  short_description: z.string().min(1).max(200),
  description: markdown,
  tips: markdown,
  external_references: z.array(
    z.strictObject({ label: z.string().min(1), link: z.url({ protocol: /^https$/ }) }),
  ),
  configuration_spec: z.array(ConfigField).min(1),
  capabilities: z
    .array(
      z.strictObject({
        id: z.enum(['health', 'deliberate', 'observe', 'refer', 'respond', 'tiles', 'assets']),
        description: z.string().min(1),
      }),
    )
    .min(1),
  properties: z.strictObject({
    url: z.url({ protocol: /^https$/ }),
    'supported-apis': z.array(z.enum(SUPPORTED_APIS)).min(1),
    'auth-type': z.enum(['configuration-token', 'bearer', 'authorization-header', 'basic']),
    'configuration-token-alg': z.enum(['RS256', 'HS256']).optional(),
    'configuration-token-audience': z.string().optional(),
    custom_jwks_host: z
      .string()
      .regex(/^visibility(\.(eu|apjc))?\.amp\.cisco\.com$/)
      .optional(),
  }),
  flags: z.array(z.enum(['third-party-serverless', 'third-party-cisco-hosted'])),
  logo: z.string().regex(/^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/),
  enabled: z.boolean().optional(),
});

const readJson = (name: string): unknown => JSON.parse(readFileSync(fromRoot(name), 'utf8'));
const moduleType = ModuleTypeSchema.parse(readJson('module_type.json'));
const settings = readJson('module_settings.json') as {
  jwt: Record<string, string>;
  required: string[];
  secret: string[];
};

describe('module_type.json', () => {
  it('matches the module-type format', () => {
    const parsed = ModuleTypeSchema.safeParse(readJson('module_type.json'));
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('declares a customer-hosted relay taking XDR-issued RS256 configuration tokens', () => {
    expect(moduleType.flags).toEqual(['third-party-serverless']);
    expect(moduleType.properties).toMatchObject({
      'auth-type': 'configuration-token',
      'configuration-token-alg': 'RS256',
      custom_jwks_host: 'visibility.amp.cisco.com',
    });
  });

  it('lists all nine relay APIs, which are exactly the authenticated routes', () => {
    expect(moduleType.properties['supported-apis']).toEqual([...SUPPORTED_APIS]);
    const authRoutes = ROUTES.filter((r) => r.auth).map((r) => r.path.slice(1));
    expect([...authRoutes].sort()).toEqual([...SUPPORTED_APIS].sort());
  });

  it('has unique capabilities and configuration keys', () => {
    const ids = moduleType.capabilities.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(['health', 'deliberate', 'observe', 'refer', 'respond', 'tiles']);
    const keys = moduleType.configuration_spec.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives options fields their options and only them', () => {
    for (const field of moduleType.configuration_spec) {
      expect(field.options !== undefined, field.key).toBe(field.type === 'options');
    }
  });

  it('is generated from the field declarations, as module_settings.json is', () => {
    expect(staleModuleFiles()).toEqual([]);
  });

  it('declares each field once, and each new block client prefixes its fields with its module id', () => {
    const keys = FIELD_GROUPS.flatMap((g) => Object.keys(g.fields));
    expect(new Set(keys).size).toBe(keys.length);
    // The NACL fields predate the rule and keep their public names.
    const legacy = new Set(['aws_nacl']);
    for (const g of FIELD_GROUPS.filter((x) => x.module && !legacy.has(x.module))) {
      for (const key of Object.keys(g.fields)) expect(key.startsWith(`${g.module}_`), key).toBe(true);
    }
    expect(Object.keys(settings.jwt)).toEqual(keys);
  });

  it("requires in the form only what every module needs; a client's fields say when they are required", () => {
    expect(moduleType.configuration_spec.filter((f) => f.required).map((f) => f.key)).toEqual([
      'custom_relay_module_key',
    ]);
    expect(settings.required).toEqual([]);
    expect(moduleType.configuration_spec.find((f) => f.key === 'custom_aws_nacl_ids')?.tooltip).toMatch(
      /required with aws_nacl in Block clients/,
    );
  });

  it('ships a small SVG logo', () => {
    const svg = Buffer.from(moduleType.logo.split(',')[1] ?? '', 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>$/s);
    expect(moduleType.logo.length).toBeLessThan(4096);
  });
});
