/** `/refer/observables`: links back to the vendors' consoles. */

import { Hono } from 'hono';
import type { Reference } from '../../kernel/ctim.js';
import { envelope } from '../../kernel/errors.js';
import type { AppEnv } from '../env.js';
import { bodyObservables, fanOut } from './common.js';

export const referRoutes = new Hono<AppEnv>();

referRoutes.post('/refer/observables', async (c) => {
  const ctx = c.get('ctx');
  const observables = await bodyObservables(c);
  const { results, errors } = await fanOut<Reference[]>(c.get('enabled'), ctx, observables, (m) => m.refer);
  const data = results.flat();
  return c.json(envelope(data, errors, data.length > 0 || errors.length === 0));
});
