/**
 * NACL blocker benchmark against the fake EC2 endpoint (loopback only):
 *
 * - API calls per block: counted from the fake's call log for one host block
 *   in both directions (target: 1 DescribeNetworkAcls + 1 Create per direction).
 * - Wall time to block 20 different IPs with 20 ms injected latency per EC2
 *   call, both as one bulk call (20 static IPs: one describe for all) and as 20
 *   concurrent host blocks (20 describes). Quota 40 and band 1-99 so all fit.
 *   Parallelism is bounded by the client's in-flight limit (MAX_IN_FLIGHT).
 *
 * Prints nothing; returns the figures for `npm run bench`.
 */
import { makeConfig } from '../src/kernel/config.js';
import type { RequestContext } from '../src/kernel/context.js';
import { createLogger } from '../src/kernel/logger.js';
import type { VectraHost } from '../src/kernel/model.js';
import { type FakeEc2, startFakeEc2 } from '../src/sandbox/ec2/index.js';
import { MAX_IN_FLIGHT } from '../src/vendors/aws-nacl/client.js';
import { awsNaclClient, parseNaclConfig, setAwsClientOverrides } from '../src/vendors/aws-nacl/index.js';

const LATENCY_MS = 20;
const IPS = Array.from({ length: 20 }, (_, i) => `203.0.113.${i + 1}`);

function context(naclId: string): RequestContext {
  const config = makeConfig();
  const claims = { block_clients: 'aws_nacl', aws_region: 'eu-west-1', aws_nacl_ids: naclId };
  return {
    config,
    claims,
    entitiesLimit: 100,
    signal: AbortSignal.timeout(60_000),
    deadline: Date.now() + 60_000,
    log: createLogger('SILENT'),
    moduleInstanceId: undefined,
  };
}

const host = (ip: string): VectraHost =>
  ({
    kind: 'host',
    id: 1,
    ip,
    blockedElements: {},
    allTags: [],
    tags: [],
    clientRestrictions: [],
  }) as unknown as VectraHost;

async function withFake<T>(fn: (fake: FakeEc2, naclId: string) => Promise<T>): Promise<T> {
  const fake = await startFakeEc2({ quota: 40 });
  // Static credentials and an explicit endpoint: nothing may probe IMDS or leave loopback.
  setAwsClientOverrides({
    ec2: {
      endpoint: fake.url,
      credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-not-secret' },
    },
  });
  try {
    return await fn(fake, fake.naclIds[0] as string);
  } finally {
    setAwsClientOverrides();
    await fake.close();
  }
}

function client(naclId: string) {
  const ctx = context(naclId);
  return awsNaclClient.create(parseNaclConfig(ctx.claims, ctx.config), ctx);
}

export async function benchNacl(): Promise<Record<string, string | number>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const perBlock = await withFake(async (fake, naclId) => {
    const c = client(naclId);
    await c.blockHost(host('198.51.100.1')); // warm-up: lazy SDK import, client construction
    fake.clearCalls();
    await c.blockHost(host('198.51.100.2'));
    const count = (action: string) => fake.calls.filter((x) => x.action === action).length;
    return {
      describe: count('DescribeNetworkAcls'),
      create: count('CreateNetworkAclEntry'),
      total: fake.calls.length,
    };
  });

  const bulk = await withFake(async (fake, naclId) => {
    const c = client(naclId);
    await c.blockHost(host('198.51.100.1'));
    fake.setLatency(LATENCY_MS);
    fake.clearCalls();
    const t0 = performance.now();
    const ids = await c.blockStaticDstIps({ kind: 'static-ips', dstIps: IPS });
    return { ms: performance.now() - t0, calls: fake.calls.length, ok: ids.length };
  });

  const concurrent = await withFake(async (fake, naclId) => {
    const c = client(naclId);
    await c.blockHost(host('198.51.100.1'));
    fake.setLatency(LATENCY_MS);
    fake.clearCalls();
    const t0 = performance.now();
    const ids = await Promise.all(IPS.map((ip) => c.blockHost(host(ip))));
    return { ms: performance.now() - t0, calls: fake.calls.length, ok: ids.flat().length };
  });

  return {
    'nacl.block.describe_calls': perBlock.describe,
    'nacl.block.create_calls': perBlock.create,
    'nacl.block.total_calls': perBlock.total,
    'nacl.block20.latency_ms_per_call': LATENCY_MS,
    'nacl.block20.max_in_flight': MAX_IN_FLIGHT,
    'nacl.block20.bulk.wall_ms': Math.round(bulk.ms),
    'nacl.block20.bulk.calls': bulk.calls,
    'nacl.block20.bulk.blocked': bulk.ok,
    'nacl.block20.concurrent.wall_ms': Math.round(concurrent.ms),
    'nacl.block20.concurrent.calls': concurrent.calls,
    'nacl.block20.concurrent.blocked': concurrent.ok,
    'nacl.block20.serial_estimate_ms': 20 * 3 * LATENCY_MS,
  };
}
