/**
 * `X-Request-Id` on every response, and on every log line of the request.
 * The id is Lambda's request id when there is one (the same as Powertools'
 * `function_request_id`), otherwise one we generate; an incoming
 * `X-Request-Id` is never trusted (anyone can send one, so it could forge or
 * collide with another request's log lines).
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../kernel/logger.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

const LEVELS = new Set<PropertyKey>(['debug', 'info', 'warn', 'error', 'critical']);

/** hono's Lambda adapter puts the invocation context in `c.env`. */
interface LambdaEnv {
  lambdaContext?: { awsRequestId?: unknown };
}

export function requestIdOf(env: unknown): string {
  const id = (env as LambdaEnv | undefined)?.lambdaContext?.awsRequestId;
  return typeof id === 'string' && id !== '' ? id.slice(0, 128) : randomUUID();
}

/**
 * The logger seen by one request: the same logger, each line carrying
 * `request_id`. A wrapper, not `appendKeys`, because the local server
 * handles requests concurrently on one logger.
 */
export function withRequestId(log: Logger, requestId: string): Logger {
  const key = { request_id: requestId };
  return new Proxy(log, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (!LEVELS.has(prop) || typeof value !== 'function') return value;
      return (message: string, ...extra: unknown[]) => value.call(target, message, key, ...extra);
    },
  });
}

/**
 * Sets the id on the response (whatever answered: a route, 404/405, the
 * error handler) and hands the request a logger that carries it.
 */
export function requestId<E extends { Variables: { requestId: string; log: Logger } }>(
  log: Logger,
): MiddlewareHandler<E> {
  return async (c, next) => {
    const id = requestIdOf(c.env);
    c.set('requestId', id);
    c.set('log', withRequestId(log, id));
    c.header(REQUEST_ID_HEADER, id);
    await next();
    if (!c.res.headers.has(REQUEST_ID_HEADER)) c.res.headers.set(REQUEST_ID_HEADER, id);
  };
}
