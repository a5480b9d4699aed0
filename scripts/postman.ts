/**
 * `npm run postman`: runs the shipped Postman collection with newman against a
 * private sandbox (fake brain, fake EC2, relay on an ephemeral port), as a
 * user would run it against theirs. Every request's own tests decide: HTTP
 * 200 and no fatal `errors` entry; the trigger blocks the sandbox
 * workstation through the AWS NACL client. CI runs it (`.ci/run`).
 *
 *   npm run postman
 */
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import newman from 'newman';
import { createRuntime } from '../src/handlers/runtime.js';
import { startSandbox } from '../src/sandbox/index.js';
import { fromRoot } from './lib/paths.js';

const HELP = `Usage: npm run postman

Runs postman/relay.postman_collection.json with newman against a private sandbox and
exits 0 only when every request's tests pass (HTTP 200, no fatal error, the trigger
succeeds). To run it against your own relay instead:

  npx newman run postman/relay.postman_collection.json --env-var relay_url=<url> \\
    --env-var action_id=vectra-block-host --env-var client_id=test_client   # and the jwt variable`;

/** The action the collection's trigger runs in the sandbox (query-params come from respond). */
export const SANDBOX_ACTION = { action_id: 'vectra-block-host', client_id: 'aws_nacl' } as const;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const sandbox = await startSandbox();
  Object.assign(process.env, sandbox.env, { LOG_LEVEL: 'ERROR', PORT: '0' });
  const runtime = createRuntime(process.env, async () => process.env.SECRET_KEY);
  const server = serve({ fetch: runtime.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    const summary = await new Promise<newman.NewmanRunSummary>((resolve, reject) => {
      newman.run(
        {
          collection: fromRoot('postman', 'relay.postman_collection.json'),
          // The JWT travels in memory, never on a command line.
          envVar: [
            { key: 'relay_url', value: url },
            { key: 'jwt', value: sandbox.jwt },
            { key: 'action_id', value: SANDBOX_ACTION.action_id },
            { key: 'client_id', value: SANDBOX_ACTION.client_id },
          ],
          reporters: ['cli'],
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      );
    });
    const failures = summary.run.failures.length;
    const executed = summary.run.executions.length;
    console.log(`postman: ${executed} requests, ${failures} failures`);
    return failures === 0 && executed > 0 ? 0 : 1;
  } finally {
    server.close();
    await sandbox.close();
  }
}

try {
  process.exit(await main());
} catch (err) {
  process.stderr.write(`postman: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(2);
}
