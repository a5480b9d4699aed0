/**
 * Input handling shared by the engine's entry points (Lambda handler, CLI):
 * the flat claims document, the policy source and the dry-run switch. Dry run
 * is the default; only an explicit false-like value switches it off, so a
 * typo never turns a trial into real blocking.
 */
import { readFile } from 'node:fs/promises';
import { ALL_FIELDS } from '../vendors/fields.js';
import { type Policy, PolicyError, parsePolicy, parsePolicyJson } from './policy.js';

/** Parses the secret / `--claims` JSON: a flat object; numbers and booleans become strings. */
export function parseClaimsJson(text: string, source: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Never echo the text: it holds credentials.
    throw new PolicyError(`${source} is not valid JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new PolicyError(`${source} must be a JSON object of claims`);
  }
  const claims: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (typeof value === 'string') claims[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') claims[key] = String(value);
    else if (value !== null) throw new PolicyError(`${source}: claim ${key.slice(0, 60)} must be a string`);
  }
  return claims;
}

/** `ENGINE_DRY_RUN`-style switch: true unless explicitly false/0/no/off. */
export function parseDryRun(raw: string | undefined): boolean {
  if (raw === undefined || raw.trim() === '') return true;
  const v = raw.trim().toLowerCase();
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  throw new PolicyError('ENGINE_DRY_RUN must be true or false');
}

/** The policy from `ENGINE_POLICY` (JSON) or `ENGINE_POLICY_FILE`; VAR's defaults when neither is set. */
export async function policyFromEnv(env: Record<string, string | undefined>): Promise<Policy> {
  if (env.ENGINE_POLICY?.trim()) return parsePolicyJson(env.ENGINE_POLICY);
  if (env.ENGINE_POLICY_FILE?.trim()) return policyFromFile(env.ENGINE_POLICY_FILE);
  return parsePolicy({});
}

export async function policyFromFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PolicyError(
      `Cannot read the policy file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  return parsePolicyJson(text);
}

/** Environment variable → claim, for every declared token field (`VECTRA_URL` → `vectra_url` …). */
const CLAIM_ENV = new Map(Object.keys(ALL_FIELDS).map((k) => [k.toUpperCase(), k]));

/** Claims from the environment for the CLI: `ENGINE_CLAIMS` (JSON), else one variable per declared field. */
export function claimsFromEnv(env: Record<string, string | undefined>): Record<string, string> {
  if (env.ENGINE_CLAIMS?.trim()) return parseClaimsJson(env.ENGINE_CLAIMS, 'ENGINE_CLAIMS');
  const claims: Record<string, string> = {};
  for (const [name, key] of CLAIM_ENV) {
    const value = env[name];
    if (value !== undefined && value !== '') claims[key] = value;
  }
  return claims;
}
