/**
 * Bundle benchmark: size of every chunk of the Lambda bundles, and the cold
 * start of the relay bundle, measured as the wall time of fresh `node`
 * processes that import the bundled handler and answer one `/version` API
 * Gateway v2 event, next to a bare `node -e 0`. Prints nothing; returns figures.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { type BuiltFunction, build } from '../scripts/build.js';
import { startFakeEc2 } from '../src/sandbox/ec2/index.js';

const RUNS = 10;

/** A minimal API Gateway HTTP API (payload 2.0) event. */
export function versionEvent(path = '/version', method = 'POST'): Record<string, unknown> {
  return {
    version: '2.0',
    routeKey: 'ANY /{proxy+}',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'relay.example.com', 'content-type': 'application/json', 'user-agent': 'bench' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'relay.example.com',
      domainPrefix: 'relay',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'bench' },
      requestId: 'bench-request',
      routeKey: 'ANY /{proxy+}',
      stage: '$default',
      time: '25/Nov/2026:08:00:00 +0000',
      timeEpoch: 1_795_593_600_000,
    },
    body: '',
    isBase64Encoded: false,
  };
}

/** A minimal Lambda context object. */
export function lambdaContext(): Record<string, unknown> {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'vectra-xdr-relay-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:vectra-xdr-relay-bench',
    memoryLimitInMB: '512',
    awsRequestId: 'bench-request',
    logGroupName: '/aws/lambda/vectra-xdr-relay-bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 25_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const round1 = (n: number): number => Math.round(n * 10) / 10;
const kb = (bytes: number): number => round1(bytes / 1024);

/** Runs `node <args>` and resolves with its wall time (ms) and stdout. */
function timeNode(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout });
      else reject(new Error(`node ${args[0]} exited with ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}

/** Child script: import the bundle, answer one event, print status, body and in-process time. */
function coldStartScript(bundle: string, event: Record<string, unknown> = versionEvent()): string {
  return `const t0 = performance.now();
const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
const context = { ...${JSON.stringify(lambdaContext())}, getRemainingTimeInMillis: () => 25000 };
const res = await handler(${JSON.stringify(event)}, context);
process.stdout.write(JSON.stringify({ status: res.statusCode, body: res.body, ms: performance.now() - t0 }));`;
}

/** A `/respond/trigger` event denying `ip` at the fake EC2's NACL, signed for HS256 mode. */
async function naclTriggerEvent(
  ip: string,
  naclId: string,
  secret: string,
): Promise<Record<string, unknown>> {
  const jwt = await new SignJWT({
    block_clients: 'aws_nacl',
    aws_region: 'us-east-1',
    aws_nacl_ids: naclId,
    aws_nacl_direction: 'egress',
  })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
  const event = versionEvent('/respond/trigger');
  return {
    ...event,
    headers: { ...(event.headers as Record<string, string>), authorization: `Bearer ${jwt}` },
    body: JSON.stringify({
      'action-id': 'aws_nacl-deny-ip',
      observable_type: 'ip',
      observable_value: ip,
      nacl_id: naclId,
    }),
  };
}

/** Cold start of a NACL deny through the bundled handler against a fake EC2 (median of RUNS processes). */
async function naclColdStart(
  bundle: string,
  env: NodeJS.ProcessEnv,
): Promise<{ wall: number; inProcess: number }> {
  const ec2 = await startFakeEc2();
  const naclId = ec2.naclIds[0] as string;
  const secret = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLM';
  const childEnv = {
    ...env,
    AUTH_MODE: 'hs256',
    SECRET_KEY: secret,
    AWS_ENDPOINT_URL_EC2: ec2.url,
    AWS_ACCESS_KEY_ID: 'AKIABENCHBENCHBENCH0',
    AWS_SECRET_ACCESS_KEY: 'bench-not-a-real-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const walls: number[] = [];
  const inProcess: number[] = [];
  try {
    for (let i = 0; i <= RUNS; i++) {
      const event = await naclTriggerEvent(`198.51.100.${i + 1}`, naclId, secret);
      const { ms, stdout } = await timeNode(
        ['--input-type=module', '-e', coldStartScript(bundle, event)],
        childEnv,
      );
      const answer = JSON.parse(stdout) as { status: number; body: string; ms: number };
      if (!answer.body.includes('"success"')) throw new Error(`NACL trigger answered ${answer.body}`);
      if (i === 0) continue; // warm the OS file cache once; not counted
      walls.push(ms);
      inProcess.push(answer.ms);
    }
  } finally {
    await ec2.close();
  }
  return { wall: median(walls), inProcess: median(inProcess) };
}

function sizeFigures(fn: BuiltFunction): Record<string, number> {
  const out: Record<string, number> = {
    [`${fn.name} bundle KB`]: kb(fn.bytes),
    [`${fn.name} bundle gzip KB`]: kb(fn.gzipBytes),
    [`${fn.name} chunks`]: fn.chunks.length,
  };
  // Chunk file names carry hashes: key by main package instead, largest first, so keys stay stable.
  const bySize = [...fn.chunks].sort((a, b) => Number(b.entry) - Number(a.entry) || b.bytes - a.bytes);
  for (const chunk of bySize) {
    const base = `${fn.name} ${chunk.entry ? chunk.file : `chunk ${chunk.mainSource}`}`;
    let key = `${base} KB`;
    for (let i = 2; key in out; i++) key = `${base} #${i} KB`;
    out[key] = kb(chunk.bytes);
  }
  return out;
}

/** Bundle sizes per chunk (KB) and relay cold start versus bare node (median of 10 processes, ms). */
export async function benchBundle(): Promise<Record<string, string | number>> {
  const outdir = await mkdtemp(join(tmpdir(), 'relay-bench-'));
  try {
    const built = await build({ outdir });
    const figures: Record<string, string | number> = { 'esbuild ms': built.durationMs };
    for (const fn of Object.values(built.functions)) Object.assign(figures, sizeFigures(fn));

    const relay = built.functions.relay;
    if (!relay) throw new Error('relay bundle missing');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'SILENT',
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const script = coldStartScript(join(relay.dir, 'index.mjs'));
    const args = ['--input-type=module', '-e', script];
    await timeNode(args, env); // warm the OS file cache once; not counted
    const walls: number[] = [];
    const inProcess: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { ms, stdout } = await timeNode(args, env);
      const answer = JSON.parse(stdout) as { status: number; ms: number };
      if (answer.status !== 200) throw new Error(`/version answered ${answer.status}`);
      walls.push(ms);
      inProcess.push(answer.ms);
    }
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) bare.push((await timeNode(['-e', '0'], env)).ms);

    figures[`relay cold start /version ms (process wall, median of ${RUNS})`] = round1(median(walls));
    figures['relay import + first /version ms (in process, median)'] = round1(median(inProcess));
    figures[`bare node -e 0 ms (median of ${RUNS})`] = round1(median(bare));
    figures['relay cold start over bare node ms'] = round1(median(walls) - median(bare));
    const nacl = await naclColdStart(join(relay.dir, 'index.mjs'), env);
    figures[`relay cold start NACL deny trigger ms (process wall, median of ${RUNS})`] = round1(nacl.wall);
    figures['relay import + first NACL deny ms (in process, median)'] = round1(nacl.inProcess);
    figures.node = process.version;
    return figures;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
