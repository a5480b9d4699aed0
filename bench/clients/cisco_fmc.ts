/** `cisco_fmc` against the fake FMC (20 ms per call): token, object lookup or creation, one bulk mapping call. */
import { startFakeFmc } from '../../src/sandbox/cisco_fmc/index.js';
import { resetFmcState } from '../../src/vendors/cisco_fmc/auth.js';
import { forgetFmcObjects } from '../../src/vendors/cisco_fmc/client.js';
import { LATENCY_MS, measure } from './measure.js';

export async function benchCiscoFmc(): Promise<Record<string, string | number>> {
  resetFmcState();
  forgetFmcObjects();
  const fake = await startFakeFmc({ latencyMs: LATENCY_MS });
  try {
    return await measure(
      'cisco_fmc',
      { cisco_fmc_url: fake.url, cisco_fmc_username: fake.username, cisco_fmc_password: fake.password },
      () => fake.calls.length,
    );
  } finally {
    await fake.close();
  }
}
