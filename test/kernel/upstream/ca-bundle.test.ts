/**
 * A client's CA bundle (a `<module>_ca_bundle` field): a management interface
 * whose certificate a private CA signs is trusted through that bundle only,
 * and the same interface without the bundle is refused. Verification is never
 * turned off.
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caBundleField } from '../../../src/kernel/fields.js';
import { Transport } from '../../../src/kernel/upstream/transport.js';
import { makeContext } from '../../helpers/context.js';
import { hasOpenssl, selfSignedCert } from '../../helpers/tls.js';

describe.runIf(hasOpenssl)('a client CA bundle', () => {
  let url = '';
  let cert = '';
  let close = async () => {};
  beforeAll(async () => {
    const pair = selfSignedCert('/CN=firewall.lab', ['subjectAltName=IP:127.0.0.1']);
    cert = pair.cert;
    const server = createServer({ key: pair.key, cert }, (_req, res) => res.end('{"ok":true}'));
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
