/** `pan` against the fake PAN-OS (20 ms per call): registrations need no commit. */
import { startFakePan } from '../../src/sandbox/pan/index.js';
import { LATENCY_MS, measure } from './measure.js';

export async function benchPan(): Promise<Record<string, string | number>> {
  const fake = await startFakePan({ latencyMs: LATENCY_MS });
  try {
    return await measure('pan', { pan_url: fake.url, pan_api_key: fake.apiKey }, () => fake.calls.length);
  } finally {
    await fake.close();
  }
}
