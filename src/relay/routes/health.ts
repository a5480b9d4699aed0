/** `/health`: one cheap authenticated call per configured vendor, in parallel. */

import { Hono } from 'hono';
import { appendAll } from '../../kernel/arrays.js';
import { envelope, isFatal, logAnswered } from '../../kernel/errors.js';
import type { AppEnv } from '../env.js';

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.post('/health', async (c) => {
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
