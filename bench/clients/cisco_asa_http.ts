/** `cisco_asa_http` against the fake ASA (20 ms per call): two reads, batched config, one write memory. */
import { startFakeAsa } from '../../src/sandbox/cisco_asa_http/index.js';
import { LATENCY_MS, measure } from './measure.js';

export async function benchCiscoAsaHttp(): Promise<Record<string, string | number>> {
  const fake = await startFakeAsa({ latencyMs: LATENCY_MS });
  try {
    return await measure(
      'cisco_asa_http',
      {
        cisco_asa_http_url: fake.url,
        cisco_asa_http_username: fake.username,
        cisco_asa_http_password: fake.password,
        cisco_asa_http_group: fake.group,
      },
      () => fake.calls.length,
    );
  } finally {
    await fake.close();
  }
}
