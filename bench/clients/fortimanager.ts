/**
 * `fortimanager` against the fake FortiManager (20 ms per call, installs
 * finished by the first look): the shared measure (1 address cold, then a
 * detection of 50 with one install), with an API key, in workspace mode, and
 * with a login session. Figures, never asserted.
 */
import { startFakeFortiManager } from '../../src/sandbox/fortimanager/index.js';
import { LATENCY_MS, measure } from './measure.js';

export async function benchFortimanager(): Promise<Record<string, string | number>> {
  const out: Record<string, string | number> = {};
  for (const [label, workspace, login] of [
    ['API key', false, false],
    ['API key, workspace mode', true, false],
    ['session login, workspace mode', true, true],
  ] as const) {
    const fake = await startFakeFortiManager({ latencyMs: LATENCY_MS, jobMs: 0, workspace });
    try {
      const auth: Record<string, string> = login
        ? { fortimanager_username: fake.user, fortimanager_password: fake.password }
        : { fortimanager_api_key: fake.apiKey };
      const claims = { fortimanager_url: fake.url, fortimanager_package: 'vectra_policy', ...auth };
      const figures = await measure('fortimanager', claims, () => fake.calls.length);
      for (const [k, v] of Object.entries(figures)) out[`${label}, ${k}`] = v;
    } finally {
      await fake.close();
    }
  }
  return out;
}
