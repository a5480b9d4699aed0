/**
 * Generates the field parts of `module_settings.json` (the `jwt` labels,
 * `required`, `secret`, `hints` read by `npm run jwt`) and of
 * `module_type.json` (its `configuration_spec`) from the token-field
 * declarations (`src/vendors/fields.ts`): a block client's fields appear in
 * both by being declared. Everything else in the two files is kept as written.
 *
 * Usage: `npm run module-files` (rewrite) or `npm run module-files -- --check`
 * (exit 1 when a file differs from what the declarations generate).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type FieldSpec, fieldKind, isRequired } from '../src/kernel/fields.js';
import { FIELD_GROUPS, type FieldGroup } from '../src/vendors/fields.js';
import { fromRoot, isMain } from './lib/paths.js';

type Json = Record<string, unknown>;

/** Required in XDR's form although optional for `npm run jwt` (HS256 tokens need no module key). */
const FORM_REQUIRED = new Set(['relay_module_key']);

/** The help line; a block client's required field says when it is required. */
function tooltip(g: FieldGroup, f: FieldSpec): string | undefined {
  if (!g.module || !isRequired(f)) return f.help;
  const when = `required with ${g.module} in Block clients`;
  return f.help ? `${f.help} (${when})` : `Required with ${g.module} in Block clients`;
}

export function moduleSettings(current: Json): Json {
  const jwt: Record<string, string> = {};
  const required: string[] = [];
  const secret: string[] = [];
  const hints: Record<string, string> = {};
  for (const g of FIELD_GROUPS) {
    for (const [key, f] of Object.entries(g.fields)) {
      jwt[key] = f.label;
      if (isRequired(f) && !g.module) required.push(key);
      if (f.secret) secret.push(key);
      const help = tooltip(g, f);
      if (help) hints[key] = help;
    }
  }
  const { name, region, $comment } = current;
  return { name, jwt, required, secret, hints, region, $comment };
}

export function configurationSpec(): Json[] {
  return FIELD_GROUPS.flatMap((g) =>
    Object.entries(g.fields).map(([key, f]) => ({
      key: `custom_${key}`,
      type: fieldKind(f),
      label: f.label,
      ...(tooltip(g, f) ? { tooltip: tooltip(g, f) } : {}),
      required: (isRequired(f) && !g.module) || FORM_REQUIRED.has(key),
      ...(f.options ? { options: f.options.map((o) => ({ value: o.value, label: o.label })) } : {}),
      group: g.group,
    })),
  );
}

export function moduleType(current: Json): Json {
  return { ...current, configuration_spec: configurationSpec() };
}

const FILES = {
  'module_settings.json': moduleSettings,
  'module_type.json': moduleType,
} as const;

const render = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** The files whose content differs from what the declarations generate. */
export function staleModuleFiles(): string[] {
  return Object.entries(FILES).flatMap(([file, make]) => {
    const text = readFileSync(fromRoot(file), 'utf8');
    return render(make(JSON.parse(text) as Json)) === text ? [] : [file];
  });
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { check: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(
      'Usage: npm run module-files [-- --check]\nRegenerates module_settings.json and module_type.json from the field declarations.',
    );
    return 0;
  }
  if (values.check) {
    const stale = staleModuleFiles();
    for (const f of stale) console.error(`${f} is stale: run npm run module-files`);
    return stale.length > 0 ? 1 : 0;
  }
  for (const [file, make] of Object.entries(FILES)) {
    const path = fromRoot(file);
    writeFileSync(path, render(make(JSON.parse(readFileSync(path, 'utf8')) as Json)));
    console.log(`wrote ${file}`);
  }
  return 0;
}

if (isMain(import.meta.url)) process.exitCode = main(process.argv.slice(2));
