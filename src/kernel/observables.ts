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

/** Issues rendered at most; the rest are counted. */
const MAX_ISSUES = 5;

/**
 * Renders zod issues the way relay users know them (relay-contract.md §1.5, §4):
 * marshmallow's field → messages map, JSON-encoded as the Akamai relay does,
 * e.g. `Invalid JSON payload received. {"0":{"value":["Field may not be blank."]}}`;
 * a body of the wrong kind (not a list, not an object, not JSON) is
 * `{"_schema":["Invalid input type."]}`.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const tree = node();
  for (const issue of issues.slice(0, MAX_ISSUES)) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys.slice(0, MAX_ECHOED_KEYS))
        addMessage(tree, [...issue.path, key], 'Unknown field.');
      if (issue.keys.length > MAX_ECHOED_KEYS) {
        addMessage(
          tree,
          [...issue.path, '_more'],
          `${issue.keys.length - MAX_ECHOED_KEYS} more unknown fields.`,
        );
      }
    } else if (issue.path.length === 0) {
      addMessage(tree, ['_schema'], 'Invalid input type.');
    } else {
      addMessage(tree, issue.path, issueText(issue));
    }
  }
  const more = issues.length > MAX_ISSUES ? ` (and ${issues.length - MAX_ISSUES} more)` : '';
  return `Invalid JSON payload received. ${JSON.stringify(tree)}${more}`;
}

/** The payload error of a body that is not JSON or not the expected kind of value. */
export const INVALID_INPUT_TYPE = 'Invalid JSON payload received. {"_schema":["Invalid input type."]}';

/** Unknown keys named per object at most: the names come from the caller. */
const MAX_ECHOED_KEYS = 5;

/** Field names come from the caller: cut short (a 200,000-character key made a 200 KB answer), kept off the map's prototype. */
const fieldName = (key: PropertyKey): string => {
  const name = String(key);
  return name.length > 40 ? `${name.slice(0, 40)}…` : name;
};
const node = (): Record<string, unknown> => Object.create(null) as Record<string, unknown>;

/** Adds `message` under `path` in marshmallow's nested field → messages map. */
function addMessage(tree: Record<string, unknown>, path: readonly PropertyKey[], message: string): void {
  let at = tree;
  for (const key of path.slice(0, -1).map(fieldName)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[key] = node();
    at = at[key] as Record<string, unknown>;
  }
  const leaf = fieldName(path.at(-1) ?? '_schema');
  const list = Array.isArray(at[leaf]) ? (at[leaf] as string[]) : [];
  if (!list.includes(message)) list.push(message);
  at[leaf] = list;
}

/** Marshmallow's wording, which the platform's users know. */
function issueText(issue: z.core.$ZodIssue): string {
  // Needs `reportInput: true` in safeParse: an absent field is missing whatever its schema.
  if (issue.input === undefined) return 'Missing data for required field.';
  switch (issue.code) {
    case 'invalid_type':
      return `Not a valid ${issue.expected}.`;
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1
        ? 'Field may not be blank.'
        : `Shorter than minimum length ${issue.minimum}.`;
    case 'too_big':
      return `Longer than maximum length ${issue.maximum}.`;
    case 'invalid_value':
      return issue.input === ''
        ? 'Field may not be blank.'
        : `Must be one of: ${issue.values.map(String).join(', ')}.`;
    default:
      return 'Invalid value.';
  }
}

/**
 * Validates a parsed body as observables. Throws `invalid argument` naming the
 * offending index and field, or the size limit.
 */
export function parseObservables(body: unknown, maxObservables: number): Observable[] {
  if (!Array.isArray(body)) throw invalidArgument(INVALID_INPUT_TYPE);
  if (body.length > maxObservables) {
    throw invalidArgument(
      `Invalid JSON payload received. Too many observables: ${body.length} (maximum ${maxObservables}).`,
    );
  }
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
