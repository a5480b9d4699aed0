/**
 * A client's CA bundle (a `<module>_ca_bundle` field): a management interface
 * whose certificate a private CA signs is trusted through that bundle only,
 * and the same interface without the bundle is refused. Verification is never
 * turned off.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caBundleField } from '../../../src/kernel/fields.js';
import { Transport } from '../../../src/kernel/upstream/transport.js';
import { makeContext } from '../../helpers/context.js';

const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

describe.runIf(hasOpenssl)('a client CA bundle', () => {
  let url = '';
  let cert = '';
  let close = async () => {};
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-ca-'));
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
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=firewall.lab',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (_req, res) =>
      res.end('{"ok":true}'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
  });
  afterAll(() => close());

  const get = (ca?: string) =>
    new Transport(
      { product: 'FortiGate', urlField: 'fortinet_url', baseUrl: url, ...(ca ? { ca } : {}) },
      makeContext(),
    ).send({ method: 'GET', url: `${url}/api`, idempotent: true });

  it('trusts the interface through its bundle', async () => {
    const res = await get(cert);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ ok: true });
  });

  it('still refuses the same interface without the bundle', async () => {
    await expect(get()).rejects.toMatchObject({
      code: 'unknown',
      message: expect.stringMatching(/certificate/),
    });
  });

  it('takes only PEM certificates as the field value', () => {
    const f = caBundleField('FortiGate');
    expect(f.schema.safeParse(cert).success).toBe(true);
    expect(f.schema.safeParse(undefined).success).toBe(true);
    expect(f.schema.safeParse('not a certificate').success).toBe(false);
  });
});
