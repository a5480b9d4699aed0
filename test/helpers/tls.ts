/** A self-signed certificate for TLS tests (`openssl` when the machine has it). */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

/** A P-256 key and a one-day self-signed certificate for `subject`, with extra `-addext` values. */
export function selfSignedCert(
  subject: string,
  addext: readonly string[] = [],
): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'relay-tls-'));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      subject,
      ...addext.flatMap((x) => ['-addext', x]),
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}
