/**
 * AWS Lambda entry point: hono's Lambda adapter (API Gateway HTTP API v2,
 * REST API v1 and function URLs) wrapped in middy with the Powertools logger
 * context (request id, cold start). No logic lives here.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { handle } from 'hono/aws-lambda';
import { createRuntime } from './runtime.js';
import { loadModuleKey, loadSecretKey } from './secret-key.js';

const runtime = createRuntime(
  process.env,
  () => loadSecretKey(process.env),
  () => loadModuleKey(process.env),
);

// The sandbox's plain-http loopback upstreams are for the local server and tests only.
if (runtime.config.allowLoopbackUpstreams && process.env.AWS_LAMBDA_FUNCTION_NAME) {
  throw new Error(
    'ALLOW_LOOPBACK_UPSTREAMS is for the local sandbox and tests; unset it in a deployed function',
  );
}

export const handler = middy(handle(runtime.app)).use(injectLambdaContext(runtime.log, { resetKeys: true }));
