/** `POST /version` (no auth, not wrapped in `data`) and `GET /watchdog` (liveness probe). */

import { Hono } from 'hono';
import { envelope, RelayError } from '../../kernel/errors.js';
import type { AppEnv } from '../env.js';

export const versionRoutes = new Hono<AppEnv>();

versionRoutes.post('/version', (c) => c.json({ version: c.get('deps').config.version }));

versionRoutes.get('/watchdog', (c) => {
  const value = c.req.header('health-check');
  if (value === undefined) throw new RelayError('health check failed', 'Invalid Health Check');
  return c.json(envelope(value.slice(0, 256)));
});
