/**
 * AWS Lambda entry point: hono's Lambda adapter (API Gateway HTTP API v2,
 * REST API v1 and function URLs) wrapped in middy with the Powertools logger
 * context (request id, cold start). No logic lives here.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { handle } from 'hono/aws-lambda';
import { createRuntime } from './runtime.js';

const runtime = createRuntime(process.env, async () => process.env.SECRET_KEY);

export const handler = middy(handle(runtime.app)).use(injectLambdaContext(runtime.log, { resetKeys: true }));
