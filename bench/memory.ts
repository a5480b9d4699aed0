/**
 * Memory a token holder can make the process hold (issue 12, item 8):
 *
 * 1. 60 distinct OAuth clients whose token endpoint answers 4 MB tokens
 *    (before the fix: 92 → 348 MB, never freed);
 * 2. one observe against a brain whose list pages are 20 MB each
 *    (before the fix: 187 → 668 MB for one request).
 *
 * Both upstreams are plain local HTTP servers (the answers are the attack, not
 * the brain's behaviour). RSS and heap are sampled every 5 ms; "after" is read
 * after a forced GC when the process runs with --expose-gc (`npm run bench`
 * does not; `node --expose-gc --import tsx bench/memory.ts` does).
 */
import { spawn } from 'node:child_process';
import { makeConfig } from '../src/kernel/config.js';
import { createLogger } from '../src/kernel/logger.js';
import { closeUpstreamPools, Transport } from '../src/kernel/upstream/transport.js';
import { authorization, clearTokenCache, tokenCacheStats } from '../src/vendors/vectra/auth.js';
import { parseVectraConfig } from '../src/vendors/vectra/config.js';
import { observeVectra } from '../src/vendors/vectra/observe.js';

const MB = 1024 * 1024;
const mb = (n: number) => `${Math.round(n / MB)} MB`;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * An upstream in a child process answering every request with `body` (built
 * there from JavaScript source), so its own buffers do not count in our RSS.
 */
async function serve(bodySource: string): Promise<{ url: string; close: () => void }> {
  const script = `
    const body = Buffer.from(${bodySource});
    const s = require('node:http').createServer((_q, r) => { r.setHeader('content-type', 'application/json'); r.write(body); r.end(); });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve(String(d).trim())),
  );
  return { url: `http://127.0.0.1:${port}`, close: () => child.kill() };
}

async function measure(run: () => Promise<unknown>): Promise<Record<string, string>> {
  gc();
  const before = process.memoryUsage();
  let peak = before.rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  gc();
  const after = process.memoryUsage();
  return {
    'rss before': mb(before.rss),
    'rss peak': mb(peak),
    'rss after': mb(after.rss),
    'heap after': mb(after.heapUsed),
  };
}

const ctxFor = (config: ReturnType<typeof makeConfig>) => ({
  config,
  claims: {},
  entitiesLimit: 100,
  signal: AbortSignal.timeout(120_000),
  deadline: Date.now() + 120_000,
  log: createLogger('SILENT'),
  moduleInstanceId: undefined,
});

export async function benchMemory(): Promise<Record<string, string | number>> {
  const config = makeConfig({ allowLoopbackUpstreams: true, logLevel: 'SILENT', upstreamTimeoutMs: 30_000 });
  const out: Record<string, string | number> = {};

  // 1. 60 OAuth clients with 4 MB tokens.
  const tokens = await serve(`'{"access_token":"' + 'a'.repeat(${4 * MB}) + '","expires_in":3600}'`);
  let refused = 0;
  const oauth = await measure(async () => {
    for (let i = 0; i < 60; i++) {
      const t = new Transport(
        { product: 'Vectra Detect', urlField: 'vectra_url', baseUrl: tokens.url },
        ctxFor(config),
      );
      await authorization(
        {
          kind: 'oauth',
          clientId: `client-${i}`,
          clientSecret: `secret-${i}-0123456789`,
          tokenUrl: `${tokens.url}/oauth2/token`,
          useRefreshToken: false,
        },
        t,
      ).catch(() => {
        refused++;
      });
    }
  });
  for (const [k, v] of Object.entries(oauth)) out[`60 OAuth clients, 4 MB tokens: ${k}`] = v;
  out['60 OAuth clients, 4 MB tokens: refused / cached'] =
    `${refused} / ${tokenCacheStats().entries} (${tokenCacheStats().bytes} bytes)`;
  clearTokenCache();
  tokens.close();

  // 2. One observe against 20 MB pages.
  const item = JSON.stringify({ id: 1, name: 'h'.repeat(1000), ip: '10.0.0.1', detection_set: [] });
  const perPage = Math.floor((20 * MB) / (item.length + 1));
  const brain = await serve(
    `'{"count":1000000,"next":null,"results":[' + Array(${perPage}).fill(${JSON.stringify(item)}).join(',') + ']}'`,
  );
  const cfg = parseVectraConfig({ vectra_url: brain.url, vectra_token: 'bench-token-0123456789' }, config);
  if (!cfg) throw new Error('memory bench: Vectra configuration failed');
  let outcome = '';
  const observe = await measure(async () => {
    const r = await observeVectra(cfg, [{ type: 'ip', value: '10.0.0.1' }], ctxFor(config)).catch(
      (e: unknown) => ({ data: undefined, errors: [e] }),
    );
    outcome = `${r.errors.length} error(s): ${(r.errors[0] as Error | undefined)?.message?.slice(0, 80) ?? 'none'}`;
  });
  for (const [k, v] of Object.entries(observe)) out[`one observe, 20 MB pages: ${k}`] = v;
  out['one observe, 20 MB pages: outcome'] = outcome;
  await closeUpstreamPools();
  brain.close();
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(await benchMemory())) console.log(`- ${k}: ${v}`);
}
