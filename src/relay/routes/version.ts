/** `POST /version` (no auth, not wrapped in `data`) and `GET /watchdog` (liveness probe). */

import { envelope, RelayError } from '../../kernel/errors.js';
import type { RelayApp } from '../app.js';

export function registerVersion(app: RelayApp): void {
  app.post('/version', (c) => c.json({ version: c.get('deps').config.version }));

  app.get('/watchdog', (c) => {
    const value = c.req.header('health-check');
    if (value === undefined) throw new RelayError('health check failed', 'Invalid Health Check');
    return c.json(envelope(value.slice(0, 256)));
  });
}
