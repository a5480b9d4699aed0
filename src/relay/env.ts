/**
 * The app's dependencies and per-request variables, in their own module so
 * that the app and its route sub-apps share the types without importing each
 * other.
 */
import type { Hono } from 'hono';
import type { CacheRegistry } from '../kernel/caches.js';
import type { RelayConfig } from '../kernel/config.js';
import type { RequestContext } from '../kernel/context.js';
import type { IpGuard } from '../kernel/guard.js';
import type { HostDirectory } from '../kernel/hosts.js';
import type { Logger } from '../kernel/logger.js';
import type { TriggerRequest, TriggerResult, VendorModule } from '../kernel/vendor.js';
import type { EnabledVendor } from './enabled.js';

export interface AppDeps {
  readonly config: RelayConfig;
  readonly log: Logger;
  /** HS256 key; resolved lazily so Lambda can read it from Secrets Manager once per cold start. */
  readonly secretKey: () => Promise<string | undefined>;
  /** The deployment's module key, when set: every token must carry it (`relay_module_key`). */
  readonly moduleKey?: () => Promise<string | undefined>;
  /** Vendor modules in merge order; the registry's in production, fakes in some tests. */
  readonly vendors: readonly VendorModule<unknown>[];
  /** The runtime's caches, on every request's context (tokens, pools, clients, pacers). */
  readonly caches?: CacheRegistry;
  /** The VAR core's guard for a request's claims (the runtime's; none in tests that need none). */
  readonly guardFor?: (ctx: RequestContext) => IpGuard | undefined;
  /** Vectra's hosts for product vendors (the runtime's; none in tests that need none). */
  readonly hostsFor?: (ctx: RequestContext) => HostDirectory | undefined;
}

export interface AppEnv {
  /** `enabled`: the vendors this request's token configures, decided once in the auth step. */
  Variables: {
    ctx: RequestContext;
    deps: AppDeps;
    outcome: string;
    enabled: readonly EnabledVendor[];
    /** Set by the trigger route for the trigger middleware's audit record and answer. */
    trigger: { request?: TriggerRequest; result?: TriggerResult };
    /** `X-Request-Id` of this request, and the logger whose lines carry it (`request-id.ts`). */
    requestId: string;
    log: Logger;
  };
}

export type RelayApp = Hono<AppEnv>;
