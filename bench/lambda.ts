/**
 * The relay as Lambda runs it: the built bundle's handler, driven with API
 * Gateway v2 events in fresh `node` processes (`lambda-child.mjs`), against the
 * fake brain in this process.
 *
 * - cold start: spawn → import → `/version` → authenticated `/health` (one
 *   brain call), measured to the answer (the child's teardown is skipped),
 *   min/median of `COLD_RUNS` processes, with bare `node -e 0` beside it;
 * - per request, warm: `/version`, `/refer/observables` with 10 observables
 *   and no upstream call, `/health`, through the handler (not `app.request`);
 * - memory: peak RSS and heap after `MEMORY_REQUESTS` mixed requests.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { relayNodeOptions } from '../cdk/lib/node-options.js';
import { build } from '../scripts/build.js';
import { seedSandboxScenario, startFakeBrain } from '../src/sandbox/vectra-brain/index.js';
import { versionEvent } from './bundle.js';
import { round } from './stats.js';

const COLD_RUNS = 20;
const REQUESTS_PER_EVENT = 2000;
const MEMORY_REQUESTS = 4000;
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLM';
const CHILD = fileURLToPath(new URL('./lambda-child.mjs', import.meta.url));

type Event = Record<string, unknown>;

function authed(path: string, jwt: string, body: unknown): Event {
  const event = versionEvent(path);
  return {
    ...event,
    headers: { ...(event.headers as Record<string, string>), authorization: `Bearer ${jwt}` },
    body: JSON.stringify(body),
  };
}

const sign = (claims: Record<string, string>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));

/** Runs the child; resolves at its result line with the wall time to it. */
function child(
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): Promise<{ ms: number; out: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn(process.execPath, [...nodeArgs, CHILD, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let done = false;
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{"import"'));
      if (line && !done) {
        done = true;
        resolve({ ms: performance.now() - started, out: JSON.parse(line) as Record<string, unknown> });
      }
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (!done) reject(new Error(`lambda child exited ${code}: ${stderr.slice(0, 500)}`));
    });
  });
}

function bareNode(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn(process.execPath, ['-e', '0'], { env, stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', () => resolve(performance.now() - started));
  });
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: round(s[0] ?? 0, 1), median: round(s[s.length >> 1] ?? 0, 1) };
};

/** Claims of a NACL-only module (enabled, and refer makes no upstream call for it). */
const NACL_ONLY = {
  block_clients: 'aws_nacl',
  aws_region: 'us-east-1',
  aws_nacl_ids: 'acl-0123456789abcdef0',
  CTR_ENTITIES_LIMIT: '10',
};

export async function benchLambda(
  options: { extraNodeArgs?: string[]; extraEnv?: NodeJS.ProcessEnv } = {},
): Promise<Record<string, string | number>> {
  const outdir = await mkdtemp(join(tmpdir(), 'relay-lambda-bench-'));
  const brain = await startFakeBrain();
  seedSandboxScenario(brain);
  try {
    const built = await build({ outdir, functions: ['relay'] });
    const bundle = pathToFileURL(join(built.functions.relay?.dir ?? '', 'index.mjs')).href;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AUTH_MODE: 'hs256',
      SECRET_KEY: SECRET,
      ALLOW_LOOPBACK_UPSTREAMS: 'true',
      LOG_LEVEL: 'INFO',
      AWS_REGION: 'us-east-1',
      // As the stack deploys it (512 MB function).
      NODE_OPTIONS: relayNodeOptions(512),
      ...options.extraEnv,
    };
    const vectra = { vectra_url: brain.url, vectra_token: brain.apiToken, vectra_api_version: 'v2.5' };
    const vectraJwt = await sign(vectra);
    // A NACL-only module: refer has nothing to look up, so the request makes no upstream call.
    const plainJwt = await sign(NACL_ONLY);
    const ten = Array.from({ length: 10 }, (_, i) => ({ type: 'ip', value: `198.51.100.${i + 1}` }));
    const events = {
      version: versionEvent(),
      health: authed('/health', vectraJwt, {}),
      refer10: authed('/refer/observables', plainJwt, ten),
      observe10: authed('/observe/observables', vectraJwt, ten),
    };
    const nodeArgs = options.extraNodeArgs ?? [];
    const input = (names: (keyof typeof events)[], count = 0) =>
      JSON.stringify({ events: Object.fromEntries(names.map((n) => [n, events[n]])), count });

    const cold = async (extraEnv: NodeJS.ProcessEnv) => {
      const coldEnv = { ...env, ...extraEnv };
      const coldInput = input(['version', 'health']);
      await child(['cold', bundle, coldInput], coldEnv, nodeArgs); // warms the OS file cache; not counted
      const walls: number[] = [];
      const phases: Record<'import' | 'version' | 'health' | 'total' | 'cpu', number[]> = {
        import: [],
        version: [],
        health: [],
        total: [],
        cpu: [],
      };
      const warm: Record<string, number[]> = {};
      for (let i = 0; i < COLD_RUNS; i++) {
        const { ms, out } = await child(['cold', bundle, coldInput], coldEnv, nodeArgs);
        walls.push(ms);
        for (const k of Object.keys(phases) as (keyof typeof phases)[]) phases[k].push(Number(out[k]));
        for (const [k, v] of Object.entries((out.warm ?? {}) as Record<string, number>)) {
          warm[k] = [...(warm[k] ?? []), v];
        }
      }
      return { walls, phases, warm };
    };
    const fmt = (xs: number[]) => {
      const s = stats(xs);
      return `min ${s.min}, median ${s.median}`;
    };
    const figures: Record<string, string | number> = {
      node: process.version,
      NODE_OPTIONS: env.NODE_OPTIONS ?? '',
    };
    const bare: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) bare.push(await bareNode(env));
    figures[`bare node -e 0, ms (${COLD_RUNS} processes)`] = fmt(bare);
    const variants: Array<[string, NodeJS.ProcessEnv]> = [
      ['cold start', {}],
      ['cold start without init warm-up', { RELAY_WARM_SKIP: 'all' }],
    ];
    if (Number(process.versions.node.split('.')[0]) >= 22) {
      // Node 22: the on-disk compile cache (module.enableCompileCache / NODE_COMPILE_CACHE).
      const cache = await mkdtemp(join(tmpdir(), 'relay-compile-cache-'));
      variants.push(['cold start with NODE_COMPILE_CACHE', { NODE_COMPILE_CACHE: cache }]);
    } else {
      figures['compile cache (module.enableCompileCache)'] =
        `not measured: needs Node 22, this is ${process.version}`;
    }
    for (const [name, extra] of variants) {
      const { walls, phases, warm } = await cold(extra);
      figures[`${name}: spawn → /version → authenticated /health, ms (${COLD_RUNS} processes)`] = fmt(walls);
      figures[`${name}, in process: import (with init warm-up) ms`] = fmt(phases.import);
      figures[`${name}, in process: first /version ms`] = fmt(phases.version);
      figures[`${name}, in process: first /health (1 brain call) ms`] = fmt(phases.health);
      figures[`${name}, in process: import + both answers ms`] = fmt(phases.total);
      figures[`${name}, in process: CPU for import + both answers ms`] = fmt(phases.cpu);
      for (const [step, xs] of Object.entries(warm)) figures[`${name}, init step ${step} ms`] = fmt(xs);
    }

    const ms = (v: { median: number; p99: number; cpu: number } | undefined) =>
      v ? `median ${round(v.median, 3)}, p99 ${round(v.p99, 3)}, CPU ${round(v.cpu, 3)}` : 'n/a';
    const requests = input(['version', 'refer10', 'health'], REQUESTS_PER_EVENT);
    for (const [name, extra] of [
      ['', {}],
      [' (V8 default heap)', { NODE_OPTIONS: '' }],
    ] as const) {
      const perRequest = await child(['requests', bundle, requests], { ...env, ...extra }, nodeArgs);
      const req = perRequest.out as Record<string, { median: number; p99: number; cpu: number }>;
      figures[`per request${name}, /version ms (${REQUESTS_PER_EVENT} warm, through the handler)`] = ms(
        req.version,
      );
      figures[`per request${name}, /refer/observables 10 observables, no upstream call, ms`] = ms(
        req.refer10,
      );
      figures[`per request${name}, /health (1 brain call on loopback), ms`] = ms(req.health);
    }
    const mixed = input(['version', 'health', 'refer10', 'observe10'], MEMORY_REQUESTS);
    for (const [name, extra] of [
      ['', {}],
      [' (V8 default heap)', { NODE_OPTIONS: '' }],
    ] as const) {
      const memory = await child(['memory', bundle, mixed], { ...env, ...extra }, [
        '--expose-gc',
        ...nodeArgs,
      ]);
      const mem = memory.out as Record<string, number>;
      figures[
        `memory${name}: peak RSS over ${MEMORY_REQUESTS} requests (version, health, refer x10, observe x10), MB`
      ] = round(mem.peakRssMB ?? 0, 1);
      figures[`memory${name}: RSS / heap used after gc, MB`] =
        `${round(mem.rssAfterGcMB ?? 0, 1)} / ${round(mem.heapUsedAfterGcMB ?? 0, 1)}`;
    }
    return figures;
  } finally {
    await brain.close();
    await rm(outdir, { recursive: true, force: true });
  }
}
