/**
 * Builds the Hono app: the relay contract's routes, authentication, body
 * limits, 404/405 semantics and the single error handler. Lambda and the
 * local server both serve exactly this app (handlers are thin adapters).
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { entitiesLimit, type RequestContext } from '../kernel/context.js';
import { failure, invalidArgument, RelayError, toWireError } from '../kernel/errors.js';
import { verifyAuthorization } from './auth.js';
import { enabledVendors, requireSomeVendor } from './enabled.js';
import type { AppDeps, AppEnv, RelayApp } from './env.js';
import { outcomeOf } from './outcome.js';
import { requestId } from './request-id.js';
import { healthRoutes } from './routes/health.js';
import { observeRoutes } from './routes/observe.js';
import { referRoutes } from './routes/refer.js';
import { respondRoutes, triggerAnswer } from './routes/respond.js';
import { tileRoutes } from './routes/tiles.js';
import { versionRoutes } from './routes/version.js';
import { ROUTES } from './schemas.js';

export type { AppDeps, AppEnv, RelayApp } from './env.js';

export function createApp(deps: AppDeps): RelayApp {
  const app = new Hono<AppEnv>({ strict: false });
  const { config, log } = deps;

  app.use('*', requestId(log));

  app.use('*', async (c, next) => {
    c.set('deps', deps);
    const started = performance.now();
    await next();
    c.get('log').info('request', {
      route: c.req.routePath,
      method: c.req.method,
      status: c.res.status,
      vendors: vendorIds(c),
      outcome: c.get('outcome') ?? (await outcomeOf(c.res)),
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });
  });

  // A relay path with another method is 405 with an Allow header, in the relay's JSON shape.
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        c.json({ code: 405, message: 'Method Not Allowed' }, 405, { Allow: methods.join(', ') }),
    }),
  );

  // Before the body limit and authentication, so their failures still answer `data.status`.
  app.post('/respond/trigger', triggerAnswer);

  app.use(
    '*',
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: () => {
        throw invalidArgument(`Request body is larger than ${config.maxBodyBytes} bytes.`);
      },
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
          c
            .get('log')
            .warn('accepted a token without exp', { hint: 'set JWT_REQUIRE_EXP=true to refuse them' }),
      });
      const base = {
        ...(deps.caches ? { caches: deps.caches } : {}),
        config,
        claims,
        entitiesLimit: entitiesLimit(claims.CTR_ENTITIES_LIMIT),
        deadline,
        log: c.get('log'),
        moduleInstanceId: c.req.header('x-module-instance-id')?.slice(0, 128),
      };
      const guard = deps.guardFor?.(withDeadlineSignal({ ...base }));
      const hosts = deps.hostsFor?.(withDeadlineSignal({ ...base }));
      c.set('ctx', withDeadlineSignal({ ...base, ...(guard ? { guard } : {}), ...(hosts ? { hosts } : {}) }));
      c.set('enabled', requireSomeVendor(enabledVendors(deps.vendors, c.get('ctx'))));
      await next();
    });
  }

  for (const routes of [healthRoutes, observeRoutes, referRoutes, respondRoutes, tileRoutes, versionRoutes]) {
    app.route('/', routes);
  }
  app.notFound((c) => c.json({ code: 404, message: 'Not Found' }, 404));

  app.onError((err, c) => {
    if (!(err instanceof RelayError)) {
      // Only the class and a redacted message: upstream errors may quote credentials.
      c.get('log').error('unhandled error', { route: c.req.routePath, errorName: err.name });
    } else if (err.code !== 'authorization error' && err.code !== 'invalid argument') {
      c.get('log').warn('relay error', { route: c.req.routePath, code: err.code, message: err.message });
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

/** The error answer of a request that failed outside its route's own answer. */
function errorResponse(c: Context<AppEnv>, err: unknown): Response {
  c.set('outcome', toWireError(err).code);
  return c.json(failure(err), 200);
}
