/**
 * Reads the relay's HS256 `SECRET_KEY` (and the engine's settings secret) from
 * AWS Secrets Manager once per process. The SDK client is imported lazily so
 * the relay bundle keeps it in a separate chunk that RS256 deployments never
 * load. A failed read is not cached: the next call (or cold start) retries.
 * Secret values are never logged and never appear in error messages.
 */

/** Fetches one secret's string value by ARN or name. */
export type SecretFetcher = (secretId: string) => Promise<string>;

/** Upper bound for one GetSecretValue call so a cold start cannot hang on it. */
const FETCH_TIMEOUT_MS = 5_000;

/** Reads a secret with the AWS SDK (region and credentials from the Lambda environment). */
export const fetchFromSecretsManager: SecretFetcher = async (secretId) => {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ maxAttempts: 3 });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }), {
      abortSignal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    const value = out.SecretString?.trim();
    if (!value) throw new Error(`Secret ${secretId} has no string value`);
    return value;
  } finally {
    client.destroy();
  }
};

/**
 * Returns a caching reader: one fetch per secret id per process (or per `ttlMs`),
 * shared by concurrent callers; a rejected fetch is dropped from the cache so the
 * next call tries again.
 */
export function createSecretReader(
  fetch: SecretFetcher = fetchFromSecretsManager,
  options: { ttlMs?: number; now?: () => number } = {},
): (secretId: string) => Promise<string> {
  const cache = new Map<string, { value: Promise<string>; at: number }>();
  const now = options.now ?? Date.now;
  return (secretId) => {
    const hit = cache.get(secretId);
    if (hit && (options.ttlMs === undefined || now() - hit.at < options.ttlMs)) return hit.value;
    const value = fetch(secretId);
    cache.set(secretId, { value, at: now() });
    value.catch(() => cache.delete(secretId));
    return value;
  };
}

/**
 * Builds a `loadSecretKey` over the given reader (tests inject a fake).
 *
 * @example
 * const load = createSecretKeyLoader(async () => 'k'.repeat(64));
 * await load({ SECRET_KEY_ARN: 'arn:aws:secretsmanager:…' }); // 'kkkk…'
 */
export function createSecretKeyLoader(
  read: (secretId: string) => Promise<string> = createSecretReader(),
  names: { value: string; arn: string } = { value: 'SECRET_KEY', arn: 'SECRET_KEY_ARN' },
): (env: Record<string, string | undefined>) => Promise<string | undefined> {
  return async (env) => {
    const arn = env[names.arn]?.trim();
    const value = arn ? await read(arn) : env[names.value];
    if (value !== undefined && value.length < 32) {
      // Never echo the value; its length is enough to say what is wrong.
      throw new Error(`${names.value} must be at least 32 characters`);
    }
    return value;
  };
}

/** Reads any secret (e.g. the engine's `ENGINE_SECRET_ARN`) once per process. */
export const readSecret: (secretId: string) => Promise<string> = createSecretReader();

/**
 * The relay's HS256 key: from Secrets Manager when `SECRET_KEY_ARN` is set
 * (deployed stacks), else `SECRET_KEY` (local server, tests). Cached per process.
 */
export const loadSecretKey: (env: Record<string, string | undefined>) => Promise<string | undefined> =
  createSecretKeyLoader(readSecret);

/**
 * The deployment's module key (`RELAY_MODULE_KEY`, or `RELAY_MODULE_KEY_ARN` in
 * Secrets Manager): when set, every token must carry it as `relay_module_key`.
 */
export const loadModuleKey: (env: Record<string, string | undefined>) => Promise<string | undefined> =
  createSecretKeyLoader(readSecret, { value: 'RELAY_MODULE_KEY', arn: 'RELAY_MODULE_KEY_ARN' });
