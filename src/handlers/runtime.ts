/**
 * Cold-start wiring shared by the Lambda handler and the local server: parse
 * the environment once, create the logger and the app with the registry's
 * vendors. The HS256 key is resolved once, lazily (Secrets Manager in AWS).
 */
import pkg from '../../package.json' with { type: 'json' };
import { CacheRegistry } from '../kernel/caches.js';
import { ConfigError, loadConfig, type RelayConfig } from '../kernel/config.js';
import { createLogger, type Logger } from '../kernel/logger.js';
import type { VendorModule } from '../kernel/vendor.js';
import { createApp, type RelayApp } from '../relay/app.js';
import { collectSettingsFrom, setCollectSettings } from '../vendors/carbon_black/collect/settings.js';
import { vendors } from '../vendors/registry.js';
import { lazyRelayGuard, lazyRelayHosts } from '../vendors/vectra/lazy-guard.js';

export const VERSION: string = pkg.version;

export interface Runtime {
  readonly config: RelayConfig;
  /** Every cache of this process's relay (closed on shutdown). */
  readonly caches: CacheRegistry;
  readonly log: Logger;
  readonly app: RelayApp;
}

/** Resolves once and keeps the value; a failure is not kept, so the next request retries. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= read().catch((err: unknown) => {
      value = undefined;
      throw err;
    });
    return value;
  };
}

export function createRuntime(
  env: Record<string, string | undefined>,
  secretKey: () => Promise<string | undefined>,
  moduleKey: () => Promise<string | undefined> = async () => env.RELAY_MODULE_KEY,
): Runtime {
  const config = loadConfig(env, VERSION);
  const log = createLogger(config.logLevel);
  if (config.authMode === 'hs256' && !env.SECRET_KEY && !env.SECRET_KEY_ARN?.trim()) {
    // Otherwise every request would fail later with a service error instead of one clear start-up error.
    throw new ConfigError(
      'Invalid environment: SECRET_KEY (AUTH_MODE=hs256 needs SECRET_KEY or SECRET_KEY_ARN; generate one with npm run jwt)',
    );
  }
  // The Carbon Black collection's deployment settings (files, timeout, store): parsed now, named if bad.
  setCollectSettings(collectSettingsFrom(env));
  if (env.RELAY_MODULE_KEY !== undefined && env.RELAY_MODULE_KEY.length < 32) {
    throw new ConfigError('Invalid environment: RELAY_MODULE_KEY (must be at least 32 characters)');
  }
  if (config.authMode === 'rs256' && config.publicUrl === undefined) {
    // Without it the audience would come from the Host header: a token made for another relay would pass.
    throw new ConfigError('Invalid environment: RELAY_PUBLIC_URL (required when AUTH_MODE is rs256)');
  }
  if (config.authMode === 'rs256' && !env.RELAY_MODULE_KEY && !env.RELAY_MODULE_KEY_ARN) {
    log.warn('No RELAY_MODULE_KEY: any XDR tenant whose module points here can use this relay', {
      hint: 'set RELAY_MODULE_KEY (or RELAY_MODULE_KEY_ARN) and put the same value in the module form',
    });
  }
  const caches = new CacheRegistry();
  const app = createApp({
    config,
    log,
    caches,
    secretKey: once(secretKey),
    moduleKey: once(moduleKey),
    vendors: Object.values(vendors) as VendorModule<unknown>[],
    // Lazy: the Vectra client and undici load on first use, not at cold start.
    guardFor: lazyRelayGuard,
    hostsFor: lazyRelayHosts,
  });
  return { config, log, app, caches };
}
