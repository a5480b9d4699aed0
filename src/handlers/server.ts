/**
 * Local server (`npm start`): the same app as Lambda on 127.0.0.1:PORT (9090).
 */
import { serve } from '@hono/node-server';
import { createRuntime } from './runtime.js';

const runtime = createRuntime(process.env, async () => process.env.SECRET_KEY);
const server = serve(
  { fetch: runtime.app.fetch, port: runtime.config.port, hostname: '127.0.0.1' },
  (info) => {
    console.log(`Relay ${runtime.config.version} listening on http://127.0.0.1:${info.port}`);
  },
);
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
