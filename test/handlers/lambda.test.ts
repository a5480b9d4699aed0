import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { hs256, TEST_SECRET } from '../helpers/jwt.js';

type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;
let handler: Handler;

const lambdaContext = {
  functionName: 'relay-test',
  functionVersion: '1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:relay-test',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/relay-test',
  logStreamName: 's',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

const v2 = (method: string, path: string, body?: string, headers: Record<string, string> = {}) => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: path,
  rawQueryString: '',
  headers: {
    host: 'abc.execute-api.us-east-1.amazonaws.com',
    'content-type': 'application/json',
    ...headers,
  },
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc',
    domainName: 'abc.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'abc',
    http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
    requestId: 'r',
    routeKey: '$default',
    stage: '$default',
    time: '25/Nov/2026:08:00:00 +0000',
    timeEpoch: 0,
  },
  body,
  isBase64Encoded: false,
});

const v1 = (method: string, path: string, body: string | null, headers: Record<string, string> = {}) => ({
  resource: '/{proxy+}',
  path,
  httpMethod: method,
  headers: { Host: 'abc.execute-api.us-east-1.amazonaws.com', ...headers },
  multiValueHeaders: {},
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  pathParameters: { proxy: path.slice(1) },
  stageVariables: null,
  requestContext: {
    httpMethod: method,
    path,
    stage: 'prod',
    requestId: 'r',
    identity: { sourceIp: '203.0.113.1' },
  },
  body,
  isBase64Encoded: false,
});

/** A token that enables Vectra; refer makes no upstream call. */
const VECTRA = { vectra_url: 'https://brain.example.com', vectra_token: 'token-not-real' };

beforeAll(async () => {
  vi.stubEnv('AUTH_MODE', 'hs256');
  vi.stubEnv('SECRET_KEY', TEST_SECRET);
  vi.stubEnv('LOG_LEVEL', 'SILENT');
  ({ handler } = (await import('../../src/handlers/lambda.js')) as unknown as { handler: Handler });
});

describe('lambda handler', () => {
  it('answers /version for an HTTP API v2 event', async () => {
    const res = await handler(v2('POST', '/version'), lambdaContext);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ version: expect.any(String) });
  });

  it('answers an authenticated v2 call with the Lambda request id as X-Request-Id', async () => {
    const token = await hs256(VECTRA);
    const res = (await handler(
      v2('POST', '/refer/observables', '[]', { authorization: `Bearer ${token}`, 'x-request-id': 'forged' }),
      lambdaContext,
    )) as { statusCode: number; body: string; headers: Record<string, string> };
    expect(JSON.parse(res.body)).toEqual({ data: [] });
    expect(res.headers['x-request-id']).toBe('req-1');
  });

  it.each([{}, { foo: 'bar' }, { vectra_ulr: 'https://brain.example.com' }])(
    'refuses a token that enables no vendor (%o), naming the fields that would',
    async (claims) => {
      const token = await hs256(claims);
      const res = await handler(
        v2('POST', '/health', '', { authorization: `Bearer ${token}` }),
        lambdaContext,
      );
      const error = JSON.parse(res.body).errors[0];
      expect(error).toMatchObject({ type: 'fatal', code: 'authorization error' });
      expect(error.message).toMatch(
        /^Authorization failed: Wrong JWT payload structure: .*vectra_url.*block_clients/,
      );
    },
  );

  it('answers a REST API v1 event', async () => {
    const token = await hs256(VECTRA);
    const res = await handler(
      v1('POST', '/refer/observables', '[{"type":"ip","value":"1.1.1.1"}]', {
        Authorization: `Bearer ${token}`,
      }),
      lambdaContext,
    );
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      data: [{ url: expect.stringContaining('brain.example.com') }],
    });
  });

  it('answers 405 and 404 through the adapter', async () => {
    expect((await handler(v2('GET', '/health'), lambdaContext)).statusCode).toBe(405);
    expect((await handler(v1('GET', '/nowhere', null), lambdaContext)).statusCode).toBe(404);
  });

  it('maps an auth failure to a 200 envelope', async () => {
    const res = await handler(v2('POST', '/health'), lambdaContext);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).errors[0].message).toBe(
      'Authorization failed: Authorization header is missing',
    );
  });

  it('answers a base64-encoded body', async () => {
    const token = await hs256(VECTRA);
    const event = {
      ...v2('POST', '/refer/observables', Buffer.from('[]').toString('base64'), {
        authorization: `Bearer ${token}`,
      }),
      isBase64Encoded: true,
    };
    expect(JSON.parse((await handler(event, lambdaContext)).body)).toEqual({ data: [] });
  });
});

describe('lambda cold start', () => {
  it('refuses the sandbox loopback exception inside a deployed function', async () => {
    vi.stubEnv('ALLOW_LOOPBACK_UPSTREAMS', 'true');
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'relay-prod');
    vi.resetModules();
    await expect(import('../../src/handlers/lambda.js')).rejects.toThrow('ALLOW_LOOPBACK_UPSTREAMS');
    vi.unstubAllEnvs();
  });

  it('fails fast naming a bad variable', async () => {
    vi.stubEnv('UPSTREAM_CONCURRENCY', 'lots');
    vi.resetModules();
    await expect(import('../../src/handlers/lambda.js')).rejects.toThrow('UPSTREAM_CONCURRENCY');
    vi.unstubAllEnvs();
  });
});

describe('module key at cold start', () => {
  it('refuses a module key shorter than 32 characters, naming the variable', async () => {
    vi.stubEnv('AUTH_MODE', 'rs256');
    vi.stubEnv('RELAY_MODULE_KEY', 'too-short');
    vi.resetModules();
    await expect(import('../../src/handlers/lambda.js')).rejects.toThrow('RELAY_MODULE_KEY');
    vi.unstubAllEnvs();
  });
});
