/**
 * `npm run smoke`: walks through every endpoint of a running relay and prints
 * one verdict per step, then `N passed, N failed`. With no `--url` it starts
 * its own sandbox (fake brain, fake EC2, relay on an ephemeral port).
 *
 *   npm run smoke                                  # self-contained (CI)
 *   JWT=… npm run smoke -- --url http://127.0.0.1:9090 --ec2-state http://127.0.0.1:9092/_state
 *   npm run smoke -- --clients fortinet,pan      # plus a block/unblock walk per block client (or `all`)
 *
 * The JWT never travels on the command line (where `ps` and shell history
 * would show it): it comes from the `JWT` variable or from stdin.
 */
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { createRuntime } from '../src/handlers/runtime.js';
import { DEFAULT_SANDBOX_CLIENTS, type Sandbox, sandboxClients, startSandbox } from '../src/sandbox/index.js';
import { SCENARIO } from '../src/sandbox/vectra-brain/index.js';
import { clientSteps } from './lib/smoke-clients.js';

const HELP = `Usage: npm run smoke -- [--url <relay url> [--jwt-stdin] [--ec2-state <url>]] [--clients <ids>|all]

Walks every relay endpoint, including a block/unblock round trip, and prints one
verdict per step, then "smoke: N passed, N failed" (exit 0 only when all pass).

  (no --url)         start a private sandbox (fake brain, fake EC2, relay) and walk it
  --url <url>        walk a running relay, e.g. http://127.0.0.1:9090 (npm start)
  --jwt-stdin        read the JWT from stdin; otherwise it is taken from the JWT
                     variable (npm start prints "export JWT=…"). Never on the command line.
  --ec2-state <url>  the fake EC2's state URL, to count NACL denies (sandbox: …:9092/_state)
  --clients <ids>    also a block/unblock walk per block client against its fake
                     (comma-separated module ids, or all)
  -h, --help         print this help`;

const values = (() => {
  try {
    return parseArgs({
      options: {
        url: { type: 'string' },
        jwt: { type: 'string' },
        'jwt-stdin': { type: 'boolean', default: false },
        'ec2-state': { type: 'string' },
        clients: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    process.stderr.write(
      `smoke: ${err instanceof Error ? err.message : String(err)} (see npm run smoke -- --help)\n`,
    );
    return process.exit(2);
  }
})();

/** A failure that ends the run before any step: printed as one line. */
class SmokeError extends Error {}

/** The JWT for `--url`: stdin with `--jwt-stdin`, else the `JWT` variable. */
async function readJwt(): Promise<string> {
  if (values.jwt !== undefined) {
    throw new SmokeError('--jwt would show the token in ps and shell history: set JWT=… or use --jwt-stdin');
  }
  const jwt = (values['jwt-stdin'] ? await text(process.stdin) : (process.env.JWT ?? '')).trim();
  if (!jwt)
    throw new SmokeError('--url needs a JWT: set JWT=… (npm start prints it) or pipe it with --jwt-stdin');
  return jwt;
}

/** One clear line when nothing answers at `base`, instead of one "fetch failed" per step. */
async function reachable(base: string): Promise<void> {
  try {
    await fetch(`${base}/version`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    throw new SmokeError(`cannot reach ${base} (${why}): is the relay running? (npm start)`);
  }
}

type Json = Record<string, unknown> & { data?: unknown; errors?: { code: string; message: string }[] };

async function main(): Promise<number> {
  let base = values.url?.replace(/\/+$/, '');
  if (base !== undefined && !/^https?:\/\/[^/]+/.test(base)) {
    throw new SmokeError(
      `--url must be an http(s) URL such as http://127.0.0.1:9090, got "${base.slice(0, 60)}"`,
    );
  }
  let jwt = base ? await readJwt() : '';
  let ec2State = values['ec2-state'];
  let stop = async () => {};
  // The sandbox always enables the default clients (the core walk below uses aws_nacl).
  const walked = values.clients ? sandboxClients(values.clients) : [];
  let fakes: Sandbox['fakes'] | undefined;
  if (!base) {
    const sandbox = await startSandbox({}, [...new Set([...DEFAULT_SANDBOX_CLIENTS, ...walked])]);
    fakes = sandbox.fakes;
    Object.assign(process.env, sandbox.env, { LOG_LEVEL: 'ERROR', PORT: '0' });
    const runtime = createRuntime(process.env, async () => process.env.SECRET_KEY);
    const server = serve({ fetch: runtime.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    jwt = sandbox.jwt;
    ec2State = `${sandbox.ec2.url}/_state`;
    stop = async () => {
      server.close();
      await sandbox.close();
    };
  }
  await reachable(base);

  const post = async (path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as Json;
  };
  const ok = (j: Json) => {
    if (j.errors?.some((e) => (e as { type?: string }).type !== 'warning')) {
      throw new Error(j.errors.map((e) => `${e.code}: ${e.message}`).join('; '));
    }
    return j;
  };
  const denies = async (): Promise<number> => {
    if (!ec2State) return -1;
    const state = (await (await fetch(ec2State)).json()) as {
      networkAcls?: { entries?: { ruleAction: string; ruleNumber: number }[] }[];
    };
    return (state.networkAcls ?? [])
      .flatMap((n) => n.entries ?? [])
      .filter((x) => x.ruleAction === 'deny' && x.ruleNumber < 100).length;
  };

  const ip = SCENARIO.workstation.ip;
  let block: { id: string; 'query-params': Record<string, string> } | undefined;
  const steps: [string, () => Promise<string>][] = [
    [
      'version',
      async () =>
        `version ${((await (await fetch(`${base}/version`, { method: 'POST' })).json()) as { version: string }).version}`,
    ],
    [
      'watchdog',
      async () =>
        `echo ${((await (await fetch(`${base}/watchdog`, { headers: { 'health-check': 'smoke' } })).json()) as { data: string }).data}`,
    ],
    ['health', async () => JSON.stringify(ok(await post('/health')).data)],
    [
      'observe',
      async () => {
        const d = ok(
          await post('/observe/observables', [
            { type: 'ip', value: ip },
            { type: 'domain', value: SCENARIO.c2Domain },
          ]),
        ).data as Record<string, { count: number }>;
        if (!d.sightings?.count) throw new Error('no sightings');
        return `${d.sightings.count} sightings`;
      },
    ],
    [
      'deliberate',
      async () => JSON.stringify(ok(await post('/deliberate/observables', [{ type: 'ip', value: ip }])).data),
    ],
    [
      'refer',
      async () =>
        `${(ok(await post('/refer/observables', [{ type: 'hostname', value: SCENARIO.workstation.name }])).data as unknown[]).length} references`,
    ],
    [
      'respond (offers block)',
      async () => {
        const actions = ok(await post('/respond/observables', [{ type: 'ip', value: ip }])).data as {
          id: string;
          title: string;
          'query-params': Record<string, string>;
        }[];
        block = actions.find(
          (a) => a.id === 'vectra-block-host' && a['query-params'].client_id === 'aws_nacl',
        );
        if (!block) throw new Error('no "Block host via AWS NACL Client" action');
        return `${actions.length} actions`;
      },
    ],
    [
      'trigger block',
      async () => {
        const r = ok(await post('/respond/trigger', { 'action-id': block?.id, ...block?.['query-params'] }));
        const n = await denies();
        if (n === 0) throw new Error('no deny entry in the NACL');
        return `${JSON.stringify(r.data)}, NACL denies: ${n}`;
      },
    ],
    [
      'respond (offers unblock)',
      async () => {
        const actions = ok(await post('/respond/observables', [{ type: 'ip', value: ip }])).data as {
          id: string;
        }[];
        if (!actions.some((a) => a.id === 'vectra-unblock-host')) throw new Error('no unblock action');
        return 'unblock offered';
      },
    ],
    [
      'trigger unblock',
      async () => {
        const r = ok(
          await post('/respond/trigger', { ...block?.['query-params'], 'action-id': 'vectra-unblock-host' }),
        );
        const left = await denies();
        if (left > 0) throw new Error(`${left} deny entries left`);
        return `${JSON.stringify(r.data)}, NACL denies: ${left}`;
      },
    ],
    ...walked.flatMap((module) =>
      clientSteps(module, {
        post: async (path, body) => ok(await post(path, body)),
        ip,
        ...(fakes ? { fakes } : {}),
      }),
    ),
    ['tiles', async () => `${(ok(await post('/tiles')).data as unknown[]).length} tiles`],
    [
      'tile-data',
      async () => {
        const tiles = ok(await post('/tiles')).data as { id: string; default_period: string }[];
        const t = tiles[0];
        if (!t) throw new Error('no tile');
        ok(await post('/tiles/tile', { tile_id: t.id }));
        ok(await post('/tiles/tile-data', { tile_id: t.id, period: t.default_period }));
        return t.id;
      },
    ],
    [
      '405 and 404',
      async () => {
        const a = (await fetch(`${base}/health`)).status;
        const b = (await fetch(`${base}/nowhere`, { method: 'POST' })).status;
        if (a !== 405 || b !== 404) throw new Error(`got ${a} and ${b}`);
        return '405, 404';
      },
    ],
  ];

  let passed = 0;
  let failed = 0;
  for (const [name, run] of steps) {
    try {
      console.log(`PASS ${name}: ${await run()}`);
      passed += 1;
    } catch (err) {
      console.log(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
      failed += 1;
    }
  }
  await stop();
  console.log(`smoke: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (values.help) {
  console.log(HELP);
  process.exit(0);
}
try {
  process.exit(await main());
} catch (err) {
  const message =
    err instanceof SmokeError ? err.message : `${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(`smoke: ${message.split('\n')[0]}\n`);
  process.exit(2);
}
