/** Builds the relay app for in-process tests, with a log capture and optional fake vendors. */

import { makeConfig, type RelayConfig } from '../../src/kernel/config.js';
import { createLogger } from '../../src/kernel/logger.js';
import type { VendorModule } from '../../src/kernel/vendor.js';
import { createApp, type RelayApp } from '../../src/relay/app.js';
import { TEST_SECRET } from './jwt.js';

/**
 * A vendor every token enables and that supports nothing: the relay refuses a
 * token that enables no vendor, so tests of the contract itself run with this.
 */
export const INERT_VENDOR: VendorModule<unknown> = {
  id: 'inert',
  title: 'Inert',
  supportedTypes: new Set(),
  configure: () => ({}),
};

export interface TestApp {
  app: RelayApp;
  /** Every line the relay logged (stdout JSON). */
  logs: string[];
  post: (path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
}

export function makeApp(
  opts: {
    config?: Partial<RelayConfig>;
    vendors?: VendorModule<unknown>[];
    secret?: string | undefined;
    /** Overrides `secret`: how the deployment's HS256 key is read. */
    secretKey?: () => Promise<string | undefined>;
    moduleKey?: string;
  } = {},
): TestApp {
  const config = makeConfig({ authMode: 'hs256', logLevel: 'DEBUG', ...opts.config });
  const logs: string[] = [];
  const log = createLogger(config.logLevel);
  // Powertools writes through its own console; capture what it prints.
  const sink = (...args: unknown[]) => {
    logs.push(args.map(String).join(' '));
  };
  const target = log as unknown as { console: Record<string, (...a: unknown[]) => void> };
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) target.console[level] = sink;
  const secret = 'secret' in opts ? opts.secret : TEST_SECRET;
  const app = createApp({
    config,
    log,
    secretKey: opts.secretKey ?? (async () => secret),
    ...(opts.moduleKey === undefined ? {} : { moduleKey: async () => opts.moduleKey }),
    vendors: opts.vendors ?? [INERT_VENDOR],
  });
  const post = async (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(`http://localhost${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { app, logs, post };
}
