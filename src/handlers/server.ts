/**
 * Local server (`npm start`): the same app as Lambda on 127.0.0.1:PORT (9090).
 * With no real configuration in the environment it first starts the embedded
 * sandbox (fake Vectra brain and fake EC2) and prints a ready JWT and curl
 * lines; with `SECRET_KEY` or rs256 settings it serves the relay alone.
 */
import { serve } from '@hono/node-server';
import { claimsFromEnv } from '../engine/entry.js';
import { toWireError } from '../kernel/errors.js';
import { type Sandbox, sandboxClients, startSandbox, wantsSandbox } from '../sandbox/index.js';
import { advanceCollections } from '../vendors/carbon_black/collect/runner.js';
import { collectSettings } from '../vendors/carbon_black/collect/settings.js';
import { createRuntime } from './runtime.js';
import { loadModuleKey, loadSecretKey } from './secret-key.js';
import { portFrom, startupMessage } from './startup.js';

/** Starts the sandbox (when wanted) and the relay; resolves once listening. */
async function main(): Promise<void> {
  const env = process.env;
  const brainPort = portFrom(env, 'SANDBOX_BRAIN_PORT', 9091);
  const ec2Port = portFrom(env, 'SANDBOX_EC2_PORT', 9092);
  ports.set(brainPort, 'SANDBOX_BRAIN_PORT').set(ec2Port, 'SANDBOX_EC2_PORT');
  if (wantsSandbox(env)) {
    sandbox = await startSandbox(
      { brain: brainPort, ec2: ec2Port },
      // SANDBOX_CLIENTS=all (or a list) also starts those block clients' fakes and enables them.
      sandboxClients(env.SANDBOX_CLIENTS),
    );
    Object.assign(env, sandbox.env);
  }
  const runtime = createRuntime(
    env,
    () => loadSecretKey(env),
    () => loadModuleKey(env),
  );
  ports.set(runtime.config.port, 'PORT');

  // Carbon Black collections (COLLECT_DIR set): this process is also the collect
  // function, every 10 s, with the deployment's claims (ENGINE_CLAIMS or the
  // upper-cased claim variables, as the engine CLI reads them), never a token's.
  const collect = collectSettings();
  collectTimer = collect
    ? setInterval(() => {
        advanceCollections({
          claims: claimsFromEnv(process.env),
          config: runtime.config,
          log: runtime.log,
          settings: collect,
          deadlineMs: 9_000,
        }).catch((err: unknown) =>
          runtime.log.warn('collection run failed', { reason: toWireError(err).message }),
        );
      }, 10_000)
    : undefined;
  collectTimer?.unref();

  await new Promise<void>((resolve, reject) => {
    server = serve({ fetch: runtime.app.fetch, port: runtime.config.port, hostname: '127.0.0.1' }, (info) => {
      const url = `http://127.0.0.1:${info.port}`;
      console.log(`Relay ${runtime.config.version} listening on ${url}`);
      if (sandbox) console.log(sandboxBanner(sandbox, url));
      resolve();
    });
    server.once('error', reject);
  });
}

let sandbox: Sandbox | undefined;
let server: ReturnType<typeof serve> | undefined;
let collectTimer: ReturnType<typeof setInterval> | undefined;
const ports = new Map<number, string>();

function sandboxBanner(s: Sandbox, url: string): string {
  const h = `-H "Authorization: Bearer $JWT" -H 'Content-Type: application/json'`;
  return [
    '',
    'Sandbox mode: a simulated Vectra brain and AWS EC2 endpoint (nothing real is touched).',
    `  Vectra brain  ${s.brain.url}   (state: ${s.brain.url}/_state)`,
    `  EC2 endpoint  ${s.ec2.url}   (state: ${s.ec2.url}/_state, NACL ${s.naclId})`,
    '',
    'A JWT for this sandbox (HS256, fresh secret, valid 24 h):',
    `  export JWT=${s.jwt}`,
    '',
    'Try:',
    `  curl -s -X POST ${url}/health ${h}`,
    `  curl -s -X POST ${url}/observe/observables ${h} -d '[{"type":"ip","value":"10.20.30.42"},{"type":"domain","value":"update-check.example.net"}]'`,
    `  curl -s -X POST ${url}/refer/observables ${h} -d '[{"type":"hostname","value":"wks-fin-042"}]'`,
    `  curl -s -X POST ${url}/respond/observables ${h} -d '[{"type":"ip","value":"10.20.30.42"}]'`,
    `  curl -s -X POST ${url}/respond/trigger ${h} -d '{"action-id":"vectra-block-host","observable_type":"ip","observable_value":"10.20.30.42","host_id":"${s.seeded.workstationId}","client_id":"aws_nacl"}'`,
    `  curl -s ${s.ec2.url}/_state`,
    '',
  ].join('\n');
}

const stop = () => {
  if (collectTimer) clearInterval(collectTimer);
  server?.close();
  void sandbox?.close().finally(() => process.exit(0));
  if (!sandbox) process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

try {
  await main();
} catch (err) {
  process.stderr.write(`relay: ${startupMessage(err, ports)}\n`);
  process.exit(1);
}
