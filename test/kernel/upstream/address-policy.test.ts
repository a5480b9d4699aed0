/**
 * Issue 12 item 7: a token's upstream URL cannot reach loopback, private,
 * link-local, CGNAT, ULA or IPv4-mapped addresses unless the deployment allows
 * them, whether written as an IP literal or behind a DNS name (checked at
 * connect time), and refused targets answer exactly like unreachable ones.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RelayConfig } from '../../../src/kernel/config.js';
import type { RelayError } from '../../../src/kernel/errors.js';
import { addressAllowed, addressPolicy, lookupFor } from '../../../src/kernel/upstream/address-policy.js';
import { closeUpstreamPools, Transport } from '../../../src/kernel/upstream/transport.js';
import { makeContext } from '../../helpers/context.js';

afterAll(() => closeUpstreamPools());

let server: Server | undefined;
let connections = 0;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  connections = 0;
});

async function listen(): Promise<number> {
  server = createServer((_req, res) => res.end('{"ok":true}'));
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

function send(url: string, config: Partial<RelayConfig>) {
  const ctx = makeContext({ config: { allowLoopbackUpstreams: false, ...config } });
  const t = new Transport({ product: 'Vectra Detect', urlField: 'vectra_url', baseUrl: url }, ctx);
  return t.send({ method: 'GET', url: `${url}/api`, idempotent: true });
}

async function failure(p: Promise<unknown>): Promise<RelayError> {
  try {
    await p;
  } catch (err) {
    return err as RelayError;
  }
  throw new Error('expected a failure');
}

describe('address policy', () => {
  const policy = addressPolicy(makeContext({ config: { allowLoopbackUpstreams: false } }).config);

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fd12::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:8.8.8.8',
    '64:ff9b::a9fe:a9fe',
    '2002:0a00:0001::1',
  ])('refuses %s', (ip) => {
    expect(addressAllowed(ip, policy)).toBe(false);
  });

  it.each(['8.8.8.8', '2a00:1450:4001::1'])('allows the public address %s', (ip) => {
    expect(addressAllowed(ip, policy)).toBe(true);
  });

  it('allows what the deployment allows (UPSTREAM_ALLOWED_CIDRS, loopback for the sandbox)', () => {
    const allowed = addressPolicy(
      makeContext({ config: { upstreamAllowedCidrs: ['10.20.0.0/16'], allowLoopbackUpstreams: true } })
        .config,
    );
    expect(addressAllowed('10.20.30.40', allowed)).toBe(true);
    expect(addressAllowed('10.21.0.1', allowed)).toBe(false);
    expect(addressAllowed('127.0.0.1', allowed)).toBe(true);
  });

  it('checks every address when Node asks for all of them (autoSelectFamily)', async () => {
    const lookup = lookupFor(policy);
    const err = await new Promise<unknown>((resolve) =>
      lookup('localhost', { all: true }, (e) => resolve(e)),
    );
    expect(err).toMatchObject({ code: 'EUPSTREAMREFUSED' });
  });
});

describe('the shared transport refuses non-public targets', () => {
  it.each([
    (port: number) => `http://127.0.0.1:${port}`,
    (port: number) => `http://0x7f000001:${port}`,
    (port: number) => `http://[::ffff:127.0.0.1]:${port}`,
  ])('refuses an IP literal before connecting (%#)', async (url) => {
    const port = await listen();
    const err = await failure(send(url(port), {}));
    expect(err.code).toBe('connection error');
    expect(connections).toBe(0);
  });

  it('refuses a name resolving to loopback at connect time (DNS rebinding), never connecting', async () => {
    const port = await listen();
    const err = await failure(send(`http://localhost:${port}`, {}));
    expect(err.code).toBe('connection error');
    expect(connections).toBe(0);
  });

  it('answers a refused target exactly like a closed port', async () => {
    const port = await listen();
    const refused = await failure(send(`http://localhost:${port}`, {}));
    server?.close();
    const closed = await failure(send(`http://localhost:${port}`, { upstreamAllowedCidrs: ['127.0.0.0/8'] }));
    expect(closed.message).toBe(refused.message);
    expect(closed.code).toBe(refused.code);
  });

  it('answers a plain-http service on an allowed target like a closed port (no port scanning)', async () => {
    const port = await listen();
    const allow = { upstreamAllowedCidrs: ['127.0.0.0/8'] };
    const plain = await failure(send(`https://127.0.0.1:${port}`, allow));
    server?.close();
    const closed = await failure(send(`https://127.0.0.1:${port}`, allow));
    expect([plain.code, plain.message]).toEqual([closed.code, closed.message]);
  });

  it('connects when the deployment allows the range', async () => {
    const port = await listen();
    const res = await send(`http://localhost:${port}`, { upstreamAllowedCidrs: ['127.0.0.0/8', '::1/128'] });
    expect(res.status).toBe(200);
  });

  it('keeps to UPSTREAM_ALLOWED_HOSTS when set', async () => {
    const port = await listen();
    const err = await failure(
      send(`http://127.0.0.1:${port}`, {
        allowLoopbackUpstreams: true,
        upstreamAllowedHosts: ['brain.example'],
      }),
    );
    expect(err.code).toBe('connection error');
    expect(connections).toBe(0);
  });
});
