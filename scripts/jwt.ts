/**
 * The JWT generator relay users know (tr-05-jwt-generator): prompts for the
 * fields declared in `module_settings.json` (`jwt` labels are the prompts,
 * secret fields are not echoed), or takes them as flags, generates a
 * 64-character alphanumeric SECRET_KEY unless one is given, signs HS256 and
 * prints the SECRET_KEY/JWT pair with the per-region module links.
 *
 * Usage: `npm run jwt -- [--<field> value] [--set key=value] [--secret-stdin] [--json] …` (see `--help`).
 * Secrets go to stdout only, or to `--out <file>` (mode 0600, never overwritten).
 */
import { writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { makeConfig } from '../src/kernel/config.js';
import { RelayError } from '../src/kernel/errors.js';
import { isRequired } from '../src/kernel/fields.js';
import { generateSecret } from '../src/kernel/secret.js';
import { checkBlockClients } from '../src/vendors/block-clients.js';
import { ALL_FIELDS, FIELD_GROUPS } from '../src/vendors/fields.js';
import { parseVectraConfig } from '../src/vendors/vectra/config.js';
import { formatText, HELP, type JwtResult } from './lib/jwt-text.js';
import {
  DEFAULT_SETTINGS_PATH,
  loadModuleSettings,
  type ModuleSettings,
  moduleLinks,
  UsageError,
} from './lib/module-settings.js';
import { isMain } from './lib/paths.js';
import { type Prompter, ttyPrompter } from './lib/prompt.js';

export { generateSecret } from '../src/kernel/secret.js';
export { formatText, HELP, type JwtResult } from './lib/jwt-text.js';
export {
  DEFAULT_SETTINGS_PATH,
  isPlaceholderId,
  loadModuleSettings,
  type ModuleLink,
  type ModuleSettings,
  ModuleSettingsSchema,
  moduleLinks,
  UsageError,
} from './lib/module-settings.js';
export { type Prompter, ttyPrompter } from './lib/prompt.js';

/** The relay refuses shorter HS256 keys (`src/relay/config.ts`). */
export const MIN_SECRET_LENGTH = 32;

export interface SignOptions {
  /** `aud` claim; tr-05 tokens carry none. */
  readonly audience?: string;
  /** `exp` as a jose time span (`30d`, `12h`); tr-05 tokens do not expire. */
  readonly expiresIn?: string;
}

/** Signs the claims with HS256, header `{"alg":"HS256","typ":"JWT"}`. */
export async function signToken(
  claims: Readonly<Record<string, string>>,
  secret: string,
  options: SignOptions = {},
): Promise<string> {
  const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
  if (options.audience) jwt.setAudience(options.audience);
  if (options.expiresIn) jwt.setIssuedAt().setExpirationTime(options.expiresIn);
  return jwt.sign(new TextEncoder().encode(secret));
}

export interface CliOptions {
  readonly fields: Record<string, string>;
  readonly secret?: string;
  readonly secretStdin: boolean;
  readonly moduleTypeId?: string;
  readonly region?: string;
  readonly stage?: string;
  readonly audience?: string;
  readonly expiresIn?: string;
  readonly json: boolean;
  readonly out?: string;
  readonly nonInteractive: boolean;
  readonly help: boolean;
}

const BUILTIN_OPTIONS = {
  set: { type: 'string', multiple: true },
  secret: { type: 'string' },
  'secret-stdin': { type: 'boolean', default: false },
  'module-type-id': { type: 'string' },
  region: { type: 'string' },
  stage: { type: 'string' },
  audience: { type: 'string' },
  expires: { type: 'string' },
  json: { type: 'boolean', default: false },
  out: { type: 'string' },
  'non-interactive': { type: 'boolean', default: false },
  settings: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** A jose time span (`SignJWT.setExpirationTime`): a number and a unit. */
const TIME_SPAN =
  /^\d+ ?(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks|y|yr|yrs|year|years)$/;

/** The fields part of `--help`, from the same declarations the relay parses (group by group). */
export function fieldsHelp(): string {
  const lines = ['', 'Token fields (module form field custom_<field>):'];
  for (const g of FIELD_GROUPS) {
    lines.push(`  ${g.group}${g.module ? ` (with ${g.module} in --block_clients)` : ''}:`);
    for (const [key, f] of Object.entries(g.fields)) {
      lines.push(`    --${key.padEnd(34)} ${f.label}${f.secret ? ' (secret)' : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The `--settings <path>` value, read before the full parse (the fields depend on it). */
export function settingsPathFrom(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--settings' && argv[i + 1]) return argv[i + 1] as string;
    if (arg.startsWith('--settings=')) return arg.slice('--settings='.length);
  }
  return DEFAULT_SETTINGS_PATH;
}

/** Parses flags: every jwt field is a `--<key> value` option; unknown flags are errors. */
export function parseCli(argv: readonly string[], settings: ModuleSettings): CliOptions {
  const fieldOptions: Record<string, { type: 'string' }> = {};
  for (const key of Object.keys(settings.jwt)) {
    if (Object.hasOwn(BUILTIN_OPTIONS, key))
      throw new UsageError(`jwt field "${key}" clashes with a built-in option`);
    fieldOptions[key] = { type: 'string' };
  }
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ...BUILTIN_OPTIONS, ...fieldOptions },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. Run with --help for the options.`);
  }
  const fields: Record<string, string> = {};
  for (const key of Object.keys(settings.jwt)) {
    const v = values[key];
    if (typeof v === 'string') fields[key] = v;
  }
  for (const pair of (values.set as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    if (!key) throw new UsageError(`--set expects key=value, got "${pair}"`);
    if (!Object.hasOwn(settings.jwt, key)) {
      throw new UsageError(
        `Unknown field "${key}" in --set. Known fields: ${Object.keys(settings.jwt).join(', ')}`,
      );
    }
    fields[key] = pair.slice(eq + 1);
  }
  const str = (k: string): string | undefined =>
    typeof values[k] === 'string' ? (values[k] as string) : undefined;
  const region = str('region');
  if (region && !Object.hasOwn(settings.region, region)) {
    throw new UsageError(`Unknown region "${region}". Known: ${Object.keys(settings.region).join(', ')}`);
  }
  const moduleTypeId = str('module-type-id');
  if (moduleTypeId !== undefined && !z.uuid().safeParse(moduleTypeId).success) {
    throw new UsageError(`--module-type-id must be a UUID, got "${moduleTypeId}"`);
  }
  const expires = str('expires');
  if (expires !== undefined && !TIME_SPAN.test(expires.trim())) {
    throw new UsageError(`--expires takes a time span such as 12h, 30d or 1y, got "${expires.slice(0, 40)}"`);
  }
  if (str('secret') !== undefined && values['secret-stdin']) {
    throw new UsageError('Use either --secret or --secret-stdin, not both');
  }
  const opt = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
    value === undefined ? {} : ({ [key]: value } as Record<K, V>);
  return {
    fields,
    secretStdin: values['secret-stdin'] === true,
    json: values.json === true,
    nonInteractive: values['non-interactive'] === true,
    help: values.help === true,
    ...opt('secret', str('secret')),
    ...opt('moduleTypeId', moduleTypeId),
    ...opt('region', region),
    ...opt('stage', str('stage')),
    ...opt('audience', str('audience')),
    ...opt('expiresIn', str('expires')),
    ...opt('out', str('out')),
  };
}

/** The block client a field belongs to (its required fields are asked only when it is listed). */
const moduleOf = new Map(
  FIELD_GROUPS.flatMap((g) => (g.module ? Object.keys(g.fields).map((k) => [k, g.module] as const) : [])),
);

const listed = (claims: Readonly<Record<string, string>>): string[] =>
  (claims.block_clients ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

/**
 * Merges flag values with answers to prompts (when a prompter is given) into
 * the claims. Blank values are left out. A block client's fields are asked
 * only when `block_clients` lists it, and its required ones are asked again
 * until answered. Then the claims are checked with the relay's own schemas
 * (`checkClaims`), so a token the relay would refuse is never printed.
 */
export async function collectClaims(
  settings: ModuleSettings,
  given: Readonly<Record<string, string>>,
  prompter?: Prompter,
): Promise<Record<string, string>> {
  const claims: Record<string, string> = {};
  for (const [key, label] of Object.entries(settings.jwt)) {
    const module = moduleOf.get(key);
    const enabled = module === undefined || listed(claims).includes(module);
    const required = enabled && (settings.required.includes(key) || isClientRequired(key));
    let value = given[key]?.trim() ?? '';
    if (!value && prompter && given[key] === undefined && enabled) {
      const hint = settings.hints[key] ? ` [${settings.hints[key]}]` : '';
      const question = `${label}${required ? '' : ' (optional)'}${hint}: `;
      const secret = settings.secret.includes(key);
      value = (await prompter.ask(question, { secret })).trim();
      for (let tries = 0; !value && required; tries++) {
        if (tries === 3) throw new UsageError(`${label} is required (--${key})`);
        value = (await prompter.ask(`${label} is required: `, { secret })).trim();
      }
    }
    if (value) claims[key] = value;
  }
  checkClaims(claims);
  return claims;
}

function isClientRequired(key: string): boolean {
  const f = ALL_FIELDS[key];
  return moduleOf.has(key) && f !== undefined && isRequired(f);
}

const formField = (key: string): string =>
  `module form field "${ALL_FIELDS[key]?.label ?? key}" (custom_${key})`;

/**
 * Checks the claims as the relay will: each value against its field's
 * schema, something enabled (Vectra or a block client), and every listed
 * client's fields. Throws a `UsageError` naming the flag and the form field.
 */
export function checkClaims(claims: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(claims)) {
    const f = ALL_FIELDS[key];
    const r = f?.schema.safeParse(value);
    if (r && !r.success) {
      const why = r.error.issues[0]?.message ?? 'invalid';
      throw new UsageError(
        `--${key} is invalid (${why.startsWith('must') ? why : 'not an accepted value'}); it goes in the ${formField(key)}`,
      );
    }
  }
  if (!claims.vectra_url && listed(claims).length === 0) {
    throw new UsageError(
      'The token enables nothing: give --vectra_url (Vectra Detect) and/or --block_clients (e.g. aws_nacl)',
    );
  }
  const config = makeConfig({ allowLoopbackUpstreams: true });
  try {
    parseVectraConfig(claims, config);
    checkBlockClients(claims, config);
  } catch (err) {
    if (!(err instanceof RelayError)) throw err;
    const detail = err.message.replace(/^Authorization failed: Wrong JWT payload structure: /, '');
    const key = /^(\w+) /.exec(detail)?.[1];
    throw new UsageError(
      `${detail.replace(/^(\w+) /, '--$1 ')}${key && ALL_FIELDS[key] ? `; it goes in the ${formField(key)}` : ''}`,
    );
  }
}

/** Validates or generates the secret and signs the claims. */
export async function createToken(
  settings: ModuleSettings,
  claims: Readonly<Record<string, string>>,
  options: Pick<CliOptions, 'secret' | 'moduleTypeId' | 'region' | 'audience' | 'expiresIn'>,
): Promise<JwtResult> {
  const secretKey = options.secret?.trim() || generateSecret();
  if (secretKey.length < MIN_SECRET_LENGTH) {
    throw new UsageError(
      `The secret must be at least ${MIN_SECRET_LENGTH} characters (the relay rejects shorter keys)`,
    );
  }
  const jwt = await signToken(claims, secretKey, {
    ...(options.audience ? { audience: options.audience } : {}),
    ...(options.expiresIn ? { expiresIn: options.expiresIn } : {}),
  });
  return {
    name: settings.name,
    secretKey,
    jwt,
    generatedSecret: !options.secret?.trim(),
    fields: Object.keys(claims),
    links: moduleLinks(settings, options.moduleTypeId, options.region),
  };
}

export interface Io {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** The whole command; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function run(argv: readonly string[], io: Io, prompterFactory = ttyPrompter): Promise<number> {
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(HELP + fieldsHelp());
      return 0;
    }
    const settings = loadModuleSettings(settingsPathFrom(argv));
    const opts = parseCli(argv, settings);
    let secret = opts.secret;
    if (opts.secretStdin) {
      secret = (await readAll(io.stdin)).split(/\r?\n/)[0]?.trim();
      if (!secret) throw new UsageError('--secret-stdin: nothing was read from stdin');
    }
    const interactive = !opts.nonInteractive && !opts.secretStdin && io.stdin.isTTY === true;
    const prompter = interactive ? prompterFactory(io.stdin, io.stderr) : undefined;
    let claims: Record<string, string>;
    try {
      claims = await collectClaims(settings, opts.fields, prompter);
    } finally {
      prompter?.close();
    }
    const result = await createToken(settings, claims, { ...opts, ...(secret ? { secret } : {}) });
    const report = {
      name: result.name,
      SECRET_KEY: result.secretKey,
      JWT: result.jwt,
      generatedSecret: result.generatedSecret,
      fields: result.fields,
      links: result.links,
    };
    if (opts.out) {
      try {
        await writeFile(opts.out, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new UsageError(
          code === 'EEXIST' ? `${opts.out} exists; choose a new file` : (err as Error).message,
        );
      }
      io.stderr.write(`Wrote SECRET_KEY and JWT to ${opts.out} (mode 0600).\n`);
    }
    if (opts.json) {
      const { SECRET_KEY, JWT, ...rest } = report;
      io.stdout.write(`${JSON.stringify(opts.out ? { ...rest, out: opts.out } : report, null, 2)}\n`);
    } else {
      io.stdout.write(`${formatText(result, { ...opts, includeSecrets: !opts.out })}\n`);
    }
    return 0;
  } catch (err) {
    io.stderr.write(`${err instanceof UsageError ? err.message : String((err as Error)?.stack ?? err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (isMain(import.meta.url)) {
  process.exitCode = await run(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
