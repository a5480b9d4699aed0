/**
 * Deployment settings of the live-response collection (never token fields:
 * XDR's respond UI takes no free-form input, and what is read off an
 * endpoint is the deployment's decision):
 *
 * - `CARBON_BLACK_COLLECT_FILES`: `;`-separated absolute paths to fetch, at most 20;
 * - `CARBON_BLACK_COLLECT_TIMEOUT_S`: how long a job waits for the sensor and its
 *   commands, 60–86400 s (default 900, the server's own session check-in timeout);
 * - `COLLECT_BUCKET` (AWS: the stack's bucket) or `COLLECT_DIR` (local, sandbox):
 *   where jobs and results are kept. Without either, no collection is offered.
 *
 * Parsed once; a bad value is a start-up error naming the variable.
 */
import { ConfigError } from '../../../kernel/config.js';

export interface CollectSettings {
  readonly files: readonly string[];
  readonly timeoutS: number;
  readonly store:
    | { readonly kind: 's3'; readonly bucket: string }
    | { readonly kind: 'dir'; readonly dir: string };
}

const MAX_FILES = 20;
const PATH = /^(?:[A-Za-z]:\\|\/)[^\0\r\n;]{1,259}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function collectSettingsFrom(env: Record<string, string | undefined>): CollectSettings | undefined {
  const bucket = env.COLLECT_BUCKET?.trim();
  const dir = env.COLLECT_DIR?.trim();
  if (!bucket && !dir) return undefined;
  if (bucket && !BUCKET.test(bucket))
    throw new ConfigError('Invalid environment: COLLECT_BUCKET (not a bucket name)');
  const files = (env.CARBON_BLACK_COLLECT_FILES ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  const badFile = files.find((f) => !PATH.test(f));
  if (badFile !== undefined || files.length > MAX_FILES) {
    throw new ConfigError(
      `Invalid environment: CARBON_BLACK_COLLECT_FILES (${files.length > MAX_FILES ? `at most ${MAX_FILES} paths` : 'each entry must be an absolute path'})`,
    );
  }
  const rawTimeout = env.CARBON_BLACK_COLLECT_TIMEOUT_S?.trim() || '900';
  const timeoutS = Number(rawTimeout);
  if (!/^\d+$/.test(rawTimeout) || timeoutS < 60 || timeoutS > 86_400) {
    throw new ConfigError('Invalid environment: CARBON_BLACK_COLLECT_TIMEOUT_S (60-86400 seconds)');
  }
  const store: CollectSettings['store'] = bucket
    ? { kind: 's3', bucket }
    : { kind: 'dir', dir: dir as string };
  return Object.freeze({ files: Object.freeze([...new Set(files)]), timeoutS, store });
}

let current: CollectSettings | undefined;

/**
 * The process's settings: the handlers parse the environment at start-up
 * (`setCollectSettings(collectSettingsFrom(env))`); unset means no collection.
 */
export const collectSettings = (): CollectSettings | undefined => current;

export function setCollectSettings(s: CollectSettings | undefined): void {
  current = s;
}
