/** `/refer/observables`: links back to the vendors' consoles. */

import type { Reference } from '../../kernel/ctim.js';
import { envelope } from '../../kernel/errors.js';
import type { RelayApp } from '../app.js';
import { bodyObservables, fanOut } from './common.js';

export function registerRefer(app: RelayApp): void {
  app.post('/refer/observables', async (c) => {
    const ctx = c.get('ctx');
    const observables = await bodyObservables(c);
    const { results, errors } = await fanOut<Reference[]>(c.get('enabled'), ctx, observables, (m) => m.refer);
    const data = results.flat();
    return c.json(envelope(data, errors, data.length > 0 || errors.length === 0));
  });
}
