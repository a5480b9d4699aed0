/**
 * Work the first request would otherwise pay, done during the Lambda init
 * phase instead (`lambda.ts` awaits it at module level). Each step is timed
 * and best effort: a step that fails leaves the request path to do that work
 * (and report any error) as it always did. Measured per step in `npm run
 * bench` (README, Benchmarks):
 *
 * - `response`: the first web `Response` loads Node's internal fetch
 *   implementation; every answer builds one.
 * - `router`: hono compiles its route matcher on the first match.
 * - `jose`: one HS256 sign + verify with a throwaway key runs jose's and
 *   WebCrypto's first-use paths; the deployment's own SECRET_KEY (read from
 *   Secrets Manager when `SECRET_KEY_ARN` is set) and module key are read and
 *   the key imported once, so the first token finds them ready.
 * - `jwks`: an rs256 deployment with one allow-listed JWKS host fetches its key
 *   set (several hosts: which one a token names is unknown, none is fetched).
 * - `vectra`: the Vectra request chunk (client, undici), which every observe,
 *   refer, respond and health call of a Vectra module loads.
 */
import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { prefetchJwks, warmHsKey } from '../relay/auth.js';
import type { Runtime } from './runtime.js';

export type WarmStep = 'response' | 'router' | 'jose' | 'keys' | 'jwks' | 'vectra';

/** Longest the init phase waits for network steps (Secrets Manager, JWKS). */
const NETWORK_BUDGET_MS = 3_000;

export interface WarmOptions {
  readonly secretKey: () => Promise<string | undefined>;
  readonly moduleKey: () => Promise<string | undefined>;
  /** Steps to leave out (benchmarks measure each one's effect). */
  readonly skip?: ReadonlySet<WarmStep>;
  /** Default `NETWORK_BUDGET_MS`. */
  readonly networkBudgetMs?: number;
}

/** Runs every step; resolves with each step's duration in ms (never rejects). */
export async function warmUp(
  runtime: Pick<Runtime, 'config' | 'app'>,
  opts: WarmOptions,
): Promise<Partial<Record<WarmStep, number>>> {
  const timings: Partial<Record<WarmStep, number>> = {};
  const step = async (name: WarmStep, fn: () => unknown): Promise<void> => {
    if (opts.skip?.has(name)) return;
    const started = performance.now();
    try {
      await fn();
    } catch {
      // Best effort: the request path does this work again and reports what fails.
    }
    timings[name] = Math.round((performance.now() - started) * 10) / 10;
  };
  const { config } = runtime;
  await step('response', () => new Response('{}', { headers: { 'content-type': 'application/json' } }));
  await step('router', () => runtime.app.router.match('POST', '/version'));
  await step('jose', async () => {
    const key = randomBytes(32);
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(key);
    await jwtVerify(token, key, { algorithms: ['HS256'] });
  });
  const network = Promise.all([
    step('keys', async () => {
      const [secret] = await Promise.all([
        config.authMode === 'hs256' ? opts.secretKey() : undefined,
        opts.moduleKey(),
      ]);
      if (secret) warmHsKey(secret);
    }),
    step('jwks', () =>
      config.authMode === 'rs256' && config.jwksAllowedHosts.length === 1 ? prefetchJwks(config) : undefined,
    ),
    step('vectra', () => import('../vendors/vectra/service.js')),
  ]);
  await Promise.race([
    network,
    new Promise((resolve) => setTimeout(resolve, opts.networkBudgetMs ?? NETWORK_BUDGET_MS).unref()),
  ]);
  return timings;
}
