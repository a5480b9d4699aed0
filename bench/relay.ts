/**
 * Relay overhead in process (hono app.request, no network): /version and an
 * authenticated /refer with 10 observables, HS256 and RS256 (warm JWKS cache),
 * plus requests per second of the real local server (node:http) on one core.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { makeConfig } from '../src/kernel/config.js';
import { createLogger } from '../src/kernel/logger.js';
import { createApp } from '../src/relay/app.js';
import { hs256, rs256, rsaKey, startJwksServer, TEST_SECRET } from '../test/helpers/jwt.js';
import { round, timeMany } from './stats.js';

const OBSERVABLES = JSON.stringify(
  Array.from({ length: 10 }, (_, i) => ({ type: 'ip', value: `198.51.100.${i + 1}` })),
);

export async function benchRelay(): Promise<Record<string, string | number>> {
  const log = createLogger('SILENT');
  const hsApp = createApp({
    config: makeConfig({ authMode: 'hs256', logLevel: 'SILENT' }),
    log,
    secretKey: async () => TEST_SECRET,
    vendors: [],
  });
  const jwks = await startJwksServer([]);
  const key = await rsaKey('bench');
  jwks.setKeys([key.jwk]);
  const rsApp = createApp({
    config: makeConfig({ authMode: 'rs256', jwksAllowedHosts: [jwks.origin], logLevel: 'SILENT' }),
    log,
    secretKey: async () => undefined,
    vendors: [],
  });
  // A NACL-only module: enabled, and refer makes no upstream call for it.
  const hsToken = await hs256({
    block_clients: 'aws_nacl',
    aws_region: 'us-east-1',
    aws_nacl_ids: 'acl-0123456789abcdef0',
    CTR_ENTITIES_LIMIT: '10',
  });
  const rsToken = await rs256(key, { jwks_host: jwks.host, aud: 'http://localhost' });
  const post = async (app: typeof hsApp, path: string, token?: string) =>
    app.request(`http://localhost${path}`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: path === '/version' ? undefined : OBSERVABLES,
    });
  for (let i = 0; i < 300; i += 1) {
    await post(hsApp, '/version');
    await post(hsApp, '/refer/observables', hsToken);
    await post(rsApp, '/refer/observables', rsToken);
  }
  const version = await timeMany(3000, () => post(hsApp, '/version'));
  const hs = await timeMany(3000, () => post(hsApp, '/refer/observables', hsToken));
  const rs = await timeMany(3000, () => post(rsApp, '/refer/observables', rsToken));
  await jwks.close();
  const rps = await serverRps();
  return {
    'version median ms': version.median,
    'version p99 ms': version.p99,
    'refer x10 HS256 median ms': hs.median,
    'refer x10 HS256 p99 ms': hs.p99,
    'refer x10 RS256 (warm JWKS) median ms': rs.median,
    'refer x10 RS256 (warm JWKS) p99 ms': rs.p99,
    'local server /version req/s (1 process, 32 connections, 3 s)': rps,
  };
}

/** Starts `src/handlers/server.ts` in a child process and drives it from this one. */
async function serverRps(): Promise<number> {
  const port = 19_090 + Math.floor(Math.random() * 500);
  const child = fork(fileURLToPath(new URL('../src/handlers/server.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      PORT: String(port),
      AUTH_MODE: 'hs256',
      SECRET_KEY: TEST_SECRET,
      LOG_LEVEL: 'SILENT',
    },
    stdio: 'pipe',
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 32, pipelining: 1 });
  let done = 0;
  const until = performance.now() + 3000;
  const worker = async () => {
    while (performance.now() < until) {
      const res = await pool.request({ path: '/version', method: 'POST' });
      await res.body.text();
      done += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: 32 }, worker));
  const rps = done / ((performance.now() - started) / 1000);
  await pool.close();
  child.kill('SIGTERM');
  return round(rps, 0);
}
