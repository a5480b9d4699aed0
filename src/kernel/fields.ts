/**
 * Token fields declared as data. A vendor or block client lists its fields
 * once (key, zod schema of the trimmed string, label, help, secret flag);
 * parsing, `module_settings.json`, `module_type.json`'s configuration spec,
 * the prompts and flags of `npm run jwt` and the engine CLI's environment
 * reading are all derived from these declarations (`scripts/module-files.ts`).
 *
 * Values arrive as flat strings (XDR module forms send `custom_<key>`; an
 * unset optional field arrives as ""), so every schema takes the trimmed
 * string, or `undefined` when the field is absent or blank.
 */
import * as z from 'zod/mini';
import type { Claims } from './context.js';
import { RelayError } from './errors.js';

/** How a form shows the field (XDR configuration_spec types). */
export type FieldKind = 'string' | 'password' | 'options' | 'boolean' | 'integer';

export interface FieldSpec<S extends z.ZodMiniType = z.ZodMiniType> {
  /** Applied to the trimmed value, or to `undefined` when absent: optional fields accept undefined. */
  readonly schema: S;
  readonly label: string;
  /** One line for the form's tooltip and the CLI prompt. */
  readonly help?: string;
  /** Credentials: a password field, never echoed, logged or put in an error. */
  readonly secret?: boolean;
  /** Form type; default `password` when secret, `options` when `options` is set, else `string`. */
  readonly kind?: FieldKind;
  /** Choices of an `options` field (form value and label). */
  readonly options?: readonly { readonly value: string; readonly label: string }[];
}

export type FieldSpecs = Readonly<Record<string, FieldSpec>>;

/** The parsed values of a field set, typed from the schemas. */
export type FieldValues<F extends FieldSpecs> = { readonly [K in keyof F]: z.output<F[K]['schema']> };

/** Where claims came from, for error wording: a verified JWT, or the engine's claims file/secret. */
export type ClaimsSource = 'jwt' | 'engine';

/** `Authorization failed: Wrong JWT payload structure: x is missing` or `engine claims: x is missing`. */
export function claimsError(source: ClaimsSource, detail: string): RelayError {
  return source === 'jwt'
    ? new RelayError('authorization error', `Authorization failed: Wrong JWT payload structure: ${detail}`)
    : new RelayError('invalid argument', `engine claims: ${detail}`);
}

export const isRequired = (spec: FieldSpec): boolean => !spec.schema.safeParse(undefined).success;

export function fieldKind(spec: FieldSpec): FieldKind {
  if (spec.kind) return spec.kind;
  if (spec.secret) return 'password';
  return spec.options ? 'options' : 'string';
}

/** The value of one claim: trimmed, `undefined` when absent or blank. */
export const claimValue = (claims: Claims, key: string): string | undefined => {
  const v = claims[key]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

/**
 * Parses a field set from the claims; throws naming the first missing or
 * invalid field, never its value. Field order decides which is reported first.
 */
export function parseFields<F extends FieldSpecs>(
  fields: F,
  claims: Claims,
  source: ClaimsSource = 'jwt',
): FieldValues<F> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(fields)) {
    const raw = claimValue(claims, key);
    const r = spec.schema.safeParse(raw);
    if (!r.success) {
      const why = raw === undefined ? 'missing' : (hint(r.error) ?? 'invalid');
      throw claimsError(source, `${key} is ${why}`);
    }
    out[key] = r.data;
  }
  return Object.freeze(out) as FieldValues<F>;
}

/** A schema's own custom message (set with `{ error: 'must be …' }`), when it has one. */
function hint(error: z.core.$ZodError): string | undefined {
  const m = error.issues[0]?.message;
  return m?.startsWith('must ') ? `invalid (${m})` : undefined;
}

// ---- common schemas ----

/** An https URL (http only for 127.0.0.1/localhost, which the upstream policy allows only in the sandbox). */
export const httpsUrl = z.string().check(
  z.refine((v) => {
    try {
      const u = new URL(v);
      const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
      return (u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'must be an https URL'),
);

export const boolString = z.pipe(
  z.enum(['true', 'false']),
  z.transform((v) => v === 'true'),
);

/** Comma-separated, trimmed, de-duplicated, non-empty items, each checked by `item`. */
export const csvOf = (item: z.ZodMiniType<string, string>, max = 50) =>
  z.pipe(
    z.string(),
    z.pipe(
      z.transform((v: string) => [
        ...new Set(
          v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
      ]),
      z.array(item).check(z.minLength(1), z.maxLength(max)),
    ),
  );

/** Longest CA bundle a token may carry (characters): a few certificates. */
export const MAX_CA_BUNDLE_CHARS = 64 * 1024;

/**
 * A client's optional CA bundle (PEM), for a management interface whose
 * certificate a private CA signs. It narrows trust to that CA; turning
 * verification off is not possible from a token.
 */
export const caBundleField = (product: string): FieldSpec =>
  ({
    schema: z.optional(
      z
        .string()
        .check(
          z.maxLength(MAX_CA_BUNDLE_CHARS),
          z.regex(
            /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/,
            'must be PEM certificates',
          ),
        ),
    ),
    label: `${product} CA bundle (PEM)`,
    help: "Certificates of the CA that signs the management interface's TLS certificate; empty for public CAs",
  }) as const;
