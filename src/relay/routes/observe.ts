/** `/observe/observables` (CTIM sightings etc.) and `/deliberate/observables` (verdicts). */

import { Hono } from 'hono';
import { mergeObserveData, type ObserveData, toCtimEnvelope } from '../../kernel/ctim.js';
import { envelope } from '../../kernel/errors.js';
import type { AppEnv } from '../env.js';
import { bodyObservables, fanOut } from './common.js';

export const observeRoutes = new Hono<AppEnv>();

observeRoutes.post('/observe/observables', async (c) => {
  const ctx = c.get('ctx');
  const observables = await bodyObservables(c);
  const { results, errors } = await fanOut<ObserveData>(c.get('enabled'), ctx, observables, (m) => m.observe);
  const data = toCtimEnvelope(results.reduce<ObserveData>(mergeObserveData, {}));
  return c.json(envelope(data, errors, Object.keys(data).length > 0 || errors.length === 0));
});

// No configured vendor issues verdicts (Vectra Detect sees behaviour, not reputation),
// but the route validates its input and authenticates like every other.
observeRoutes.post('/deliberate/observables', async (c) => {
  await bodyObservables(c);
  return c.json(envelope({}));
});
