/**
 * AWS Lambda entry point: hono's Lambda adapter (API Gateway HTTP API v2,
 * REST API v1 and function URLs) wrapped in middy with the Powertools logger
 * context (request id, cold start). The first request's one-off work runs in
 * the init phase (`warm.ts`). No logic lives here.
 */
import { setFlagsFromString } from 'node:v8';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { handle } from 'hono/aws-lambda';
import { createRuntime } from './runtime.js';
import { loadModuleKey, loadSecretKey } from './secret-key.js';
import { type WarmStep, warmUp } from './warm.js';

// undici parses HTTP with llhttp compiled to WebAssembly; its optimising (TurboFan)
// compile peaks at ~35 MB of RSS on the first upstream call for no measurable gain on
// relay-sized answers. The baseline compiler alone keeps the peak away (README, Benchmarks).
// Set before any WebAssembly is compiled: undici loads with the first upstream call.
setFlagsFromString('--liftoff-only');

const secretKey = () => loadSecretKey(process.env);
const moduleKey = () => loadModuleKey(process.env);
const runtime = createRuntime(process.env, secretKey, moduleKey);

// The sandbox's plain-http loopback upstreams are for the local server and tests only.
if (runtime.config.allowLoopbackUpstreams && process.env.AWS_LAMBDA_FUNCTION_NAME) {
  throw new Error(
    'ALLOW_LOOPBACK_UPSTREAMS is for the local sandbox and tests; unset it in a deployed function',
  );
}

const skip = new Set((process.env.RELAY_WARM_SKIP ?? '').split(',').filter(Boolean)) as ReadonlySet<WarmStep>;
/** Milliseconds each init warm-up step took (read by the benchmark). */
export const initWarmMs: Readonly<Record<string, number>> =
  process.env.RELAY_WARM_SKIP === 'all' ? {} : await warmUp(runtime, { secretKey, moduleKey, skip });
runtime.log.debug('init warm-up', { warmMs: initWarmMs });

export const handler = middy(handle(runtime.app)).use(injectLambdaContext(runtime.log, { resetKeys: true }));
