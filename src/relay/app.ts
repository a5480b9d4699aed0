/**
 * Builds the Hono app: the relay contract's routes, authentication, body
 * limits, 404/405 semantics and the single error handler. Lambda and the
 * local server both serve exactly this app (handlers are thin adapters).
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { audit } from '../kernel/audit.js';
import type { RelayConfig } from '../kernel/config.js';
import { entitiesLimit, type RequestContext } from '../kernel/context.js';
import { envelope, failure, invalidArgument, ownMessage, RelayError, toWireError } from '../kernel/errors.js';
import type { IpGuard } from '../kernel/guard.js';
import type { HostDirectory } from '../kernel/hosts.js';
import type { Logger } from '../kernel/logger.js';
import type { VendorModule } from '../kernel/vendor.js';
import { verifyAuthorization } from './auth.js';
import { type EnabledVendor, enabledVendors } from './enabled.js';
import { registerHealth } from './routes/health.js';
import { registerObserve } from './routes/observe.js';
import { registerRefer } from './routes/refer.js';
import { registerRespond } from './routes/respond.js';
import { registerTiles } from './routes/tiles.js';
import { registerVersion } from './routes/version.js';
import { ROUTES } from './schemas.js';

export interface AppDeps {
  readonly config: RelayConfig;
  readonly log: Logger;
  /** HS256 key; resolved lazily so Lambda can read it from Secrets Manager once per cold start. */
  readonly secretKey: () => Promise<string | undefined>;
  /** The deployment's module key, when set: every token must carry it (`relay_module_key`). */
  readonly moduleKey?: () => Promise<string | undefined>;
  /** Vendor modules in merge order; the registry's in production, fakes in some tests. */
  readonly vendors: readonly VendorModule<unknown>[];
  /** The VAR core's guard for a request's claims (the runtime's; none in tests that need none). */
  readonly guardFor?: (ctx: RequestContext) => IpGuard | undefined;
  /** Vectra's hosts for product vendors (the runtime's; none in tests that need none). */
  readonly hostsFor?: (ctx: RequestContext) => HostDirectory | undefined;
}

export interface AppEnv {
  /** `enabled`: the vendors this request's token configures, decided once in the auth step. */
  Variables: { ctx: RequestContext; deps: AppDeps; outcome: string; enabled: readonly EnabledVendor[] };
}

export type RelayApp = Hono<AppEnv>;

export function createApp(deps: AppDeps): RelayApp {
  const app = new Hono<AppEnv>({ strict: false });
  const { config, log } = deps;

  app.use('*', async (c, next) => {
    c.set('deps', deps);
    const started = performance.now();
    await next();
    log.info('request', {
      route: c.req.routePath,
      method: c.req.method,
      status: c.res.status,
      vendors: vendorIds(c),
      outcome: c.get('outcome') ?? (c.res.status === 200 ? 'ok' : String(c.res.status)),
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });
  });

  app.use(
    '*',
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: (c) =>
        errorResponse(c, invalidArgument(`Request body is larger than ${config.maxBodyBytes} bytes.`)),
    }),
  );

  const authenticated = ROUTES.filter((r) => r.auth).map((r) => r.path);
  for (const path of authenticated) {
    app.post(path, async (c, next) => {
      // The deadline starts when the request arrives: key and JWKS reads count against it.
      const deadline = Date.now() + config.requestDeadlineMs;
      const claims = await verifyAuthorization(c.req.header('authorization'), {
        config,
        requestOrigin: new URL(c.req.url).origin,
        // Only HS256 needs the key: an RS256 deployment must not depend on Secrets Manager.
        secretKey:
          config.authMode === 'hs256' ? await deploymentSecret(deps.secretKey, 'SECRET_KEY') : undefined,
        moduleKey: deps.moduleKey ? await deploymentSecret(deps.moduleKey, 'the module key') : undefined,
        onMissingExp: () =>
          log.warn('accepted a token without exp', { hint: 'set JWT_REQUIRE_EXP=true to refuse them' }),
      });
      const base = {
        config,
        claims,
        entitiesLimit: entitiesLimit(claims.CTR_ENTITIES_LIMIT),
        deadline,
        log,
        moduleInstanceId: c.req.header('x-module-instance-id')?.slice(0, 128),
      };
      const guard = deps.guardFor?.(withDeadlineSignal({ ...base }));
      const hosts = deps.hostsFor?.(withDeadlineSignal({ ...base }));
      c.set('ctx', withDeadlineSignal({ ...base, ...(guard ? { guard } : {}), ...(hosts ? { hosts } : {}) }));
      c.set('enabled', enabledVendors(deps.vendors, c.get('ctx')));
      await next();
    });
  }

  registerHealth(app);
  registerObserve(app);
  registerRefer(app);
  registerRespond(app);
  registerTiles(app);
  registerVersion(app);

  // Any other method on a relay path is 405; unknown paths fall through to 404.
  for (const route of ROUTES) {
    app.all(route.path, (c) => c.json({ code: 405, message: 'Method Not Allowed' }, 405));
  }
  app.notFound((c) => c.json({ code: 404, message: 'Not Found' }, 404));

  app.onError((err, c) => {
    if (!(err instanceof RelayError)) {
      // Only the class and a redacted message: upstream errors may quote credentials.
      log.error('unhandled error', { route: c.req.routePath, errorName: err.name });
    } else if (err.code !== 'authorization error' && err.code !== 'invalid argument') {
      log.warn('relay error', { route: c.req.routePath, code: err.code, message: err.message });
    }
    return errorResponse(c, err);
  });

  return app;
}

/**
 * The context with its deadline's abort signal, made on first use: most answers
 * (refer pivots, tiles, version) never call upstream, and a timer signal per
 * request was a tenth of the relay's own cost per request (README, Benchmarks).
 */
function withDeadlineSignal(base: Omit<RequestContext, 'signal'>): RequestContext {
  let signal: AbortSignal | undefined;
  return Object.defineProperty(base, 'signal', {
    enumerable: true,
    get: () => {
      signal ??= AbortSignal.timeout(Math.max(1, base.deadline - Date.now()));
      return signal;
    },
  }) as RequestContext;
}

/** Ids of the vendors the request's token enables (for the request log). */
const vendorIds = (c: Context<AppEnv>): string[] => (c.get('enabled') ?? []).map((v) => v.module.id);

/** Reads a deployment secret; an outage is the relay's problem, not a bad token. */
async function deploymentSecret(
  read: () => Promise<string | undefined>,
  what: string,
): Promise<string | undefined> {
  try {
    return await read();
  } catch (cause) {
    throw new RelayError(
      'service unavailable',
      `The relay could not read ${what}; please, try again later.`,
      {
        cause,
      },
    );
  }
}

/**
 * The error answer of a request that failed before or outside its route.
 * A trigger still answers with `data.status` and leaves its audit record.
 */
function errorResponse(c: Context<AppEnv>, err: unknown): Response {
  c.set('outcome', toWireError(err).code);
  if (c.req.method === 'POST' && c.req.path.replace(/\/+$/, '') === '/respond/trigger') {
    audit(c.get('deps').log, {
      action: 'unknown',
      observable: { type: '', value: '' },
      client: undefined,
      elements: [],
      outcome: 'failure',
      error: ownMessage(err),
      moduleInstanceId: c.req.header('x-module-instance-id')?.slice(0, 128),
      durationMs: 0,
      source: 'relay',
    });
    return c.json(envelope({ status: 'failure' }, [err]), 200);
  }
  return c.json(failure(err), 200);
}
