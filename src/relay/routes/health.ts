/** `/health`: one cheap authenticated call per configured vendor, in parallel. */

import { envelope } from '../../kernel/errors.js';
import type { RelayApp } from '../app.js';

export function registerHealth(app: RelayApp): void {
  app.post('/health', async (c) => {
    const ctx = c.get('ctx');
    const checks = c.get('enabled').map(async ({ module, cfg }) => module.health?.(cfg, ctx));
    const errors = (await Promise.allSettled(checks))
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as unknown);
    return c.json(envelope({ status: 'ok' }, errors, false));
  });
}
