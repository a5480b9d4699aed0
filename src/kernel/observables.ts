/**
 * Observables as the platform sends them: `[{type, value}, …]`. Validation
 * names the offending index and field; normalisation lower-cases the type,
 * trims the value, drops exact duplicates and keeps only what some vendor
 * supports. Unknown types are filtered, never rejected.
 */
import * as z from 'zod/mini';
import { invalidArgument } from './errors.js';

export interface Observable {
  readonly type: string;
  readonly value: string;
}

const ObservableSchema = z.strictObject({
  type: z.string().check(z.minLength(1), z.maxLength(256)),
  value: z.string().check(z.minLength(1), z.maxLength(4096)),
});

export const ObservablesSchema = z.array(ObservableSchema);

/** Renders zod issues the way relay users know them: `{0: {'value': ['…']}}` in plain words. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, 5).map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : 'body';
    return `${path}: ${issueText(issue)}`;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `Invalid JSON payload received. ${parts.join('; ')}${more}`;
}

const MAX_ECHOED_KEYS = 5;

function issueText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'Missing data for required field.' : `Expected ${issue.expected}.`;
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1
        ? 'Field may not be blank.'
        : `Too small (minimum ${issue.minimum}).`;
    case 'too_big':
      return `Too long (maximum ${issue.maximum}).`;
    case 'unrecognized_keys': {
      // Names come from the caller: echo a few, each cut short (a 200,000-character key made a 200 KB answer).
      const shown = issue.keys
        .slice(0, MAX_ECHOED_KEYS)
        .map((k) => (k.length > 40 ? `${k.slice(0, 40)}…` : k));
      const more =
        issue.keys.length > MAX_ECHOED_KEYS ? ` and ${issue.keys.length - MAX_ECHOED_KEYS} more` : '';
      return `Unknown field${issue.keys.length > 1 ? 's' : ''}: ${shown.join(', ')}${more}.`;
    }
    case 'invalid_value':
      return `Must be one of: ${issue.values.map(String).join(', ')}.`;
    default:
      return 'Invalid value.';
  }
}

/**
 * Validates a parsed body as observables. Throws `invalid argument` naming the
 * offending index and field, or the size limit.
 */
export function parseObservables(body: unknown, maxObservables: number): Observable[] {
  if (Array.isArray(body) && body.length > maxObservables) {
    throw invalidArgument(
      `Invalid JSON payload received. Too many observables: ${body.length} (maximum ${maxObservables}).`,
    );
  }
  if (!Array.isArray(body))
    throw invalidArgument('Invalid JSON payload received. body: Expected an array of observables.');
  const parsed = ObservablesSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw invalidArgument(describeIssues(parsed.error.issues));
  return parsed.data;
}

/** Lower-cases types, trims values, drops blanks and exact duplicates, keeps supported types. */
export function normalise(observables: readonly Observable[], supported: ReadonlySet<string>): Observable[] {
  const seen = new Set<string>();
  const out: Observable[] = [];
  for (const o of observables) {
    const type = o.type.trim().toLowerCase();
    const value = o.value.trim();
    if (!value || !supported.has(type)) continue;
    const key = `${type}\u0000${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ type, value });
  }
  return out;
}

/** Human names of observable types, for titles and descriptions. */
export const HUMAN_TYPE: Readonly<Record<string, string>> = {
  ip: 'IP',
  ipv6: 'IPv6',
  domain: 'domain',
  hostname: 'hostname',
  mac_address: 'MAC address',
  user: 'user',
  url: 'URL',
  email: 'email',
  sha256: 'SHA256',
  md5: 'MD5',
  sha1: 'SHA1',
};

export const humanType = (type: string): string => HUMAN_TYPE[type] ?? type;
