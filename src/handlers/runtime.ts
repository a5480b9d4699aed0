/**
 * Cold-start wiring shared by the Lambda handler and the local server: parse
 * the environment once, create the logger and the app with the registry's
 * vendors. The HS256 key is resolved once, lazily (Secrets Manager in AWS).
 */
import pkg from '../../package.json' with { type: 'json' };
import { createApp, type RelayApp } from '../relay/app.js';
import { loadConfig, type RelayConfig } from '../relay/config.js';
import { createLogger, type Logger } from '../relay/logger.js';
import { vendors } from '../vendors/registry.js';
import type { VendorModule } from '../vendors/types.js';

export const VERSION: string = pkg.version;

export interface Runtime {
  readonly config: RelayConfig;
  readonly log: Logger;
  readonly app: RelayApp;
}

export function createRuntime(
  env: Record<string, string | undefined>,
  secretKey: () => Promise<string | undefined>,
): Runtime {
  const config = loadConfig(env, VERSION);
  const log = createLogger(config.logLevel);
  let key: Promise<string | undefined> | undefined;
  const app = createApp({
    config,
    log,
    secretKey: () => {
      key ??= secretKey().catch((err: unknown) => {
        key = undefined; // retry on the next request instead of caching a failure
        throw err;
      });
      return key;
    },
    vendors: Object.values(vendors) as VendorModule<unknown>[],
  });
  return { config, log, app };
}
