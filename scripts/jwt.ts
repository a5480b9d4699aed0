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
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { fromRoot, isMain } from './lib/paths.js';

export const DEFAULT_SETTINGS_PATH: string = fromRoot('module_settings.json');
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The relay refuses shorter HS256 keys (`src/relay/config.ts`). */
export const MIN_SECRET_LENGTH = 32;
/** Placeholder module-type ids shipped in module_settings.json start with this. */
const PLACEHOLDER_ID_PREFIX = '00000000-0000-4000-8000-';

export const ModuleSettingsSchema = z
  .object({
    name: z.string().min(1),
    jwt: z.record(z.string().regex(/^[A-Za-z][\w-]*$/), z.string().min(1)),
    region: z.record(z.string().regex(/^[a-z]+$/), z.uuid()),
    required: z.array(z.string()).default([]),
    secret: z.array(z.string()).default([]),
    hints: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((s, ctx) => {
    for (const list of ['required', 'secret', 'hints'] as const) {
      const keys = Array.isArray(s[list]) ? s[list] : Object.keys(s[list]);
      for (const key of keys) {
        if (!Object.hasOwn(s.jwt, key))
          ctx.addIssue({ code: 'custom', path: [list], message: `"${key}" is not a jwt field` });
      }
    }
  });
export type ModuleSettings = z.output<typeof ModuleSettingsSchema>;

/** A problem with the command line or missing input: exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function loadModuleSettings(path: string = DEFAULT_SETTINGS_PATH): ModuleSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`Cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = ModuleSettingsSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`Invalid ${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A uniformly random string over [A-Za-z0-9] from the OS CSPRNG (rejection sampling, no modulo bias). */
export function generateSecret(length = 64): string {
  const limit = 256 - (256 % ALPHANUMERIC.length); // 248: bytes at or above are discarded
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += ALPHANUMERIC[byte % ALPHANUMERIC.length];
      if (out.length === length) break;
    }
  }
  return out;
}

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

export interface ModuleLink {
  readonly region: string;
  readonly url: string;
  readonly placeholder: boolean;
}

export const isPlaceholderId = (id: string): boolean => id.startsWith(PLACEHOLDER_ID_PREFIX);

/** `https://securex.<region>.security.cisco.com/settings/modules/available/<id>/new` per region. */
export function moduleLinks(settings: ModuleSettings, moduleTypeId?: string, only?: string): ModuleLink[] {
  return Object.entries(settings.region)
    .filter(([region]) => !only || region === only)
    .map(([region, id]) => {
      const typeId = moduleTypeId ?? id;
      return {
        region,
        url: `https://securex.${region}.security.cisco.com/settings/modules/available/${typeId}/new`,
        placeholder: isPlaceholderId(typeId),
      };
    });
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

/** Asks one question; `secret` answers are not echoed. */
export interface Prompter {
  ask(question: string, options: { secret: boolean }): Promise<string>;
  close(): void;
}

/** A readline prompter over a TTY; secret answers are read with output muted. */
export function ttyPrompter(input: Readable, output: NodeJS.WritableStream): Prompter {
  let muted = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) output.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input, output: sink, terminal: true });
  return {
    async ask(question, { secret }) {
      output.write(question);
      muted = secret;
      try {
        return await rl.question('');
      } finally {
        if (secret) output.write('\n');
        muted = false;
      }
    },
    close: () => rl.close(),
  };
}

/**
 * Merges flag values with answers to prompts (when a prompter is given) into
 * the claims. Blank values are left out; a missing required field is a
 * `UsageError` without a prompter and is asked again with one.
 */
export async function collectClaims(
  settings: ModuleSettings,
  given: Readonly<Record<string, string>>,
  prompter?: Prompter,
): Promise<Record<string, string>> {
  const claims: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, label] of Object.entries(settings.jwt)) {
    const required = settings.required.includes(key);
    let value = given[key]?.trim() ?? '';
    if (!value && prompter && given[key] === undefined) {
      const hint = settings.hints[key] ? ` [${settings.hints[key]}]` : '';
      const question = `${label}${required ? '' : ' (optional)'}${hint}: `;
      const secret = settings.secret.includes(key);
      value = (await prompter.ask(question, { secret })).trim();
      while (!value && required) value = (await prompter.ask(`${label} is required: `, { secret })).trim();
    }
    if (value) claims[key] = value;
    else if (required) missing.push(key);
  }
  if (missing.length) {
    throw new UsageError(
      `Missing required field${missing.length > 1 ? 's' : ''}: ${missing.map((k) => `${k} (--${k})`).join(', ')}`,
    );
  }
  return claims;
}

export interface JwtResult {
  readonly name: string;
  readonly secretKey: string;
  readonly jwt: string;
  /** True when this run generated the SECRET_KEY (it must then be stored in the stage's secret). */
  readonly generatedSecret: boolean;
  /** Claim names in the token (values stay in the token only). */
  readonly fields: readonly string[];
  readonly links: readonly ModuleLink[];
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

const PROJECT_SECRET = (stage: string): string => `vectra-xdr-relay/${stage}/secret-key`;

/** The human-readable report; without `includeSecrets` the pair is left out (it went to --out). */
export function formatText(result: JwtResult, options: { stage?: string; includeSecrets: boolean }): string {
  const stage = options.stage ?? '<stage>';
  const lines = [
    `${result.name}: HS256 token with ${result.fields.length} field(s): ${result.fields.join(', ')}`,
    '',
  ];
  if (options.includeSecrets) lines.push(`SECRET_KEY: ${result.secretKey}`, `JWT: ${result.jwt}`, '');
  if (result.generatedSecret) {
    lines.push(
      'This SECRET_KEY was generated now. The relay reads its key from the stage secret, so either store it there',
      `(aws secretsmanager put-secret-value --secret-id ${PROJECT_SECRET(stage)} --secret-string file://<file with the key>)`,
      'or sign with the key the stack generated:',
      `  aws secretsmanager get-secret-value --secret-id ${PROJECT_SECRET(stage)} --query SecretString --output text | npm run jwt -- --secret-stdin …`,
      '',
    );
  }
  lines.push(
    'Create the module in Cisco XDR (Administration > Integrations) or SecureX with the relay URL (stack output',
    'RelayUrl) and this JWT as the bearer token. Module creation links:',
    ...result.links.map((l) => `  ${l.region.padEnd(5)} ${l.url}`),
  );
  if (result.links.some((l) => l.placeholder)) {
    lines.push(
      '',
      'Note: these module type ids are placeholders from module_settings.json. Register module_type.json in your',
      'XDR org and pass its id with --module-type-id <uuid>.',
    );
  }
  lines.push(
    '',
    'The JWT is signed, not encrypted: anyone holding it can read the credentials inside. Treat it like a password.',
  );
  return lines.join('\n');
}

export const HELP = `Usage: npm run jwt -- [options]

Builds an HS256 JWT from the fields in module_settings.json ("jwt" map) and prints the
SECRET_KEY/JWT pair with the XDR/SecureX module links. Prompts for fields not given as
flags when run in a terminal.

Fields:
  --<field> <value>        any jwt field, e.g. --vectra_url https://brain.example.com
  --set <field>=<value>    same, repeatable

Options:
  --secret <key>           sign with this SECRET_KEY instead of generating one (visible in ps/history)
  --secret-stdin           read the SECRET_KEY from stdin (implies --non-interactive)
  --stage <name>           stage name used in the printed secret commands
  --module-type-id <uuid>  module type id for the links (overrides module_settings.json "region")
  --region <us|eu|apjc>    print only this region's link
  --audience <url>         add an "aud" claim (not needed by tr-05 style relays)
  --expires <span>         add "iat" and "exp", e.g. 90d (tokens do not expire by default)
  --json                   print a JSON object instead of text
  --out <file>             write the JSON (with secrets) to a new file, mode 0600, and keep
                           secrets off stdout
  --non-interactive        never prompt; fail on missing required fields (default when stdin is not a TTY)
  --settings <path>        module_settings.json to use
  -h, --help               this help
`;

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
      io.stdout.write(HELP);
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
