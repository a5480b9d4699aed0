/** `/health`: one cheap authenticated call per configured vendor, in parallel. */

import { appendAll } from '../../kernel/arrays.js';
import { envelope, isFatal, logAnswered } from '../../kernel/errors.js';
import type { RelayApp } from '../app.js';

export function registerHealth(app: RelayApp): void {
  app.post('/health', async (c) => {
    const ctx = c.get('ctx');
    const checks = c.get('enabled').map(async ({ module, cfg }) => module.health?.(cfg, ctx));
    const settled = await Promise.allSettled(checks);
    const errors: unknown[] = [];
    for (const r of settled) {
      if (r.status === 'rejected') {
        logAnswered(ctx.log, 'health', [r.reason]);
        errors.push(r.reason);
      } else if (Array.isArray(r.value)) appendAll(errors, r.value);
    }
    // Warnings (rules the relay cannot manage) accompany `status: ok`; any failure replaces it.
    return c.json(envelope({ status: 'ok' }, errors, !errors.some(isFatal)));
  });
}
