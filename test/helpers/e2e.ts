/**
 * End-to-end harness: the real Lambda handler (imported after the environment
 * is set), a fake Vectra brain seeded with the sandbox scenario and a fake EC2
 * endpoint, both on 127.0.0.1. Requests are API Gateway v2 events.
 */
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';
import type { FakeEc2 } from '../../src/sandbox/ec2/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { FakeBrain, SeededScenario } from '../../src/sandbox/vectra-brain/index.js';
import { hs256, TEST_SECRET } from './jwt.js';

type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;

export interface E2E {
  brain: FakeBrain;
  ec2: FakeEc2;
  naclId: string;
  seeded: SeededScenario;
  claims: Record<string, string>;
  logs: string[];
  call: (
    path: string,
    body?: unknown,
    claims?: Record<string, string>,
  ) => Promise<{ status: number; json: unknown }>;
  close: () => Promise<void>;
}

const lambdaContext = {
  functionName: 'relay-e2e',
  awsRequestId: 'e2e',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:relay-e2e',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

export async function startE2E(): Promise<E2E> {
  const sandbox = await startSandbox();
  const { brain, ec2, naclId, seeded } = sandbox;
  for (const [name, value] of Object.entries({
    ...sandbox.env,
    SECRET_KEY: TEST_SECRET,
    LOG_LEVEL: 'INFO',
  })) {
    vi.stubEnv(name, value);
  }
  const logs: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logs.push(String(chunk));
    return true;
  });
  vi.resetModules();
  const { handler } = (await import('../../src/handlers/lambda.js')) as unknown as { handler: Handler };
  const claims: Record<string, string> = { ...sandbox.claims, aws_nacl_direction: 'egress' };
  const call = async (path: string, body?: unknown, over: Record<string, string> = claims) => {
    const token = await hs256(over);
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers: { host: 'relay.test', authorization: `Bearer ${token}`, 'x-module-instance-id': 'e2e-module' },
      requestContext: {
        http: { method: 'POST', path, sourceIp: '127.0.0.1' },
        requestId: 'r',
        stage: '$default',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      isBase64Encoded: false,
    };
    const res = await handler(event, lambdaContext);
    return { status: res.statusCode, json: JSON.parse(res.body) as unknown };
  };
  return {
    brain,
    ec2,
    naclId,
    seeded,
    claims,
    logs,
    call,
    close: async () => {
      spy.mockRestore();
      vi.unstubAllEnvs();
      await sandbox.close();
    },
  };
}
