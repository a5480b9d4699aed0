import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import { scrubTokens, upstreamDetail } from '../../../src/kernel/upstream/errors.js';
import { closeUpstreamPools } from '../../../src/kernel/upstream/transport.js';
import type { FakeBrain } from '../../../src/sandbox/vectra-brain/index.js';
import { clearTokenCache } from '../../../src/vendors/vectra/auth.js';
import { VectraClient } from '../../../src/vendors/vectra/client.js';
import { parseVectraConfig } from '../../../src/vendors/vectra/config.js';
import { hasOpenssl, selfSignedCert } from '../../helpers/tls.js';
import { apiCalls, clientFor, ctxFor, FAST_RETRY, withBrain } from '../../vendors/vectra/helpers.js';

async function failure(p: Promise<unknown>): Promise<RelayError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RelayError);
    return err as RelayError;
  }
  throw new Error('expected a failure');
}

let brain: FakeBrain;
beforeEach(async () => {
  brain = await withBrain();
  brain.addHost({ name: 'wks-1', ip: '10.0.0.1' });
});
afterEach(async () => {
  await brain.close();
  clearTokenCache();
});
afterAll(() => closeUpstreamPools());

describe.each(['v2.5', 'v3'] as const)('upstream failure mapping (%s)', (flavour) => {
  it('maps 401 to authorization error naming the product, not quoting it', async () => {
    brain.inject({ path: '/hosts', status: 401, times: 2, body: { detail: 'Token expired or revoked' } });
    const err = await failure(clientFor(brain, flavour).listHosts());
    expect(err.code).toBe('authorization error');
    expect(err.message).toBe('Authorization failed: Vectra Detect rejected the API token (HTTP 401).');
  });

  it('maps 403 to permission denied', async () => {
    brain.inject({ path: '/hosts', status: 403, body: { errors: [{ title: 'Role lacks hosts:read' }] } });
    const err = await failure(clientFor(brain, flavour).listHosts());
    expect(err.code).toBe('permission denied');
    expect(err.message).toContain('Role lacks hosts:read');
  });

  it('maps 404 on a list to not found, and 404 on a single object to null', async () => {
    brain.inject({ path: '/detections', status: 404, body: { _meta: { message: 'No such endpoint' } } });
    const client = clientFor(brain, flavour);
    const err = await failure(client.listDetections());
    expect(err.code).toBe('not found');
    expect(err.message).toContain('No such endpoint');
    expect(await client.getHost(999)).toBeNull();
  });

  it('retries a 429 after Retry-After, then succeeds', async () => {
    brain.inject({ path: '/hosts', status: 429, retryAfter: 1, times: 1 });
    const started = Date.now();
    const hosts = await clientFor(brain, flavour).listHosts();
    expect(hosts).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(apiCalls(brain, '/hosts')).toHaveLength(2);
  });

  it('gives up on 429 after the retry budget with too many requests', async () => {
    brain.inject({ path: '/hosts', status: 429, retryAfter: 0, times: 10 });
    const err = await failure(clientFor(brain, flavour).listHosts());
    expect(err.code).toBe('too many requests');
    expect(err.message).toBe('Too many requests to Vectra Detect have been made. Please, try again later.');
    expect(apiCalls(brain, '/hosts')).toHaveLength(1 + FAST_RETRY.maxRateLimitRetries);
  });

  it('retries 502/503/504 with backoff, then succeeds', async () => {
    brain.inject({ path: '/hosts', status: 502 });
    brain.inject({ path: '/hosts', status: 503 });
    expect(await clientFor(brain, flavour).listHosts()).toHaveLength(1);
    expect(apiCalls(brain, '/hosts')).toHaveLength(3);
  });

  it.each([502, 503, 504])('maps a persistent %i to service unavailable', async (status) => {
    brain.inject({ path: '/hosts', status, times: 10 });
    const err = await failure(clientFor(brain, flavour).listHosts());
    expect(err.code).toBe('service unavailable');
    expect(err.message).toBe('The Vectra Detect is unavailable. Please, try again later.');
    expect(apiCalls(brain, '/hosts')).toHaveLength(1 + FAST_RETRY.maxServerRetries);
  });

  it('maps 500 to internal error without retrying', async () => {
    brain.inject({ path: '/hosts', status: 500, times: 10 });
    const err = await failure(clientFor(brain, flavour).listHosts());
    expect(err.code).toBe('internal error');
    expect(err.message).toBe('The Vectra Detect internal error.');
    expect(apiCalls(brain, '/hosts')).toHaveLength(1);
  });

  it('never retries a note (POST) on 503, but does on 429', async () => {
    const client = clientFor(brain, flavour);
    brain.inject({ path: '/notes', status: 503 });
    expect((await failure(client.addNote('host', 1, 'x'))).code).toBe('service unavailable');
    expect(brain.state.notes.get('host:1')).toBeUndefined();
    brain.inject({ path: '/notes', status: 429, retryAfter: 0 });
    await client.addNote('host', 1, 'VAR: Blocked');
    expect(brain.state.notes.get('host:1')?.map((n) => n.note)).toEqual(['VAR: Blocked']);
  });

  it('maps a slow brain to service unavailable within the upstream timeout', async () => {
    // undici's header timer ticks at about 0.5 s, so the brain is much slower than that.
    brain.setLatency(2500);
    const ctx = ctxFor({ config: { upstreamTimeoutMs: 150 } });
    const started = Date.now();
    const err = await failure(clientFor(brain, flavour, { ctx }).listHosts());
    expect(err.code).toBe('service unavailable');
    expect(err.message).toContain('did not answer in time');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops at the request deadline', async () => {
    brain.setLatency(2000);
    const ctx = ctxFor({ deadline: Date.now() + 300 });
    const started = Date.now();
    const err = await failure(clientFor(brain, flavour, { ctx }).listHosts());
    expect(err.code).toBe('service unavailable');
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('network failure mapping', () => {
  const client = (url: string) => {
    const ctx = ctxFor();
    const cfg = parseVectraConfig({ vectra_url: url, vectra_token: 'secret-token-value' }, ctx.config);
    if (!cfg) throw new Error('unconfigured');
    return new VectraClient(cfg, ctx, { retryPolicy: FAST_RETRY });
  };

  it('maps a refused connection to connection error naming the URL, not the token', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await failure(client(`http://127.0.0.1:${port}`).health());
    expect(err.code).toBe('connection error');
    expect(err.message).toBe(
      `Unable to connect Vectra Detect, validate the configured vectra_url: http://127.0.0.1:${port}`,
    );
    expect(err.message).not.toContain('secret-token-value');
  });

  it('maps an unresolvable host to connection error', async () => {
    const err = await failure(client('https://vectra-brain.invalid').health());
    expect(err.code).toBe('connection error');
    expect(err.message).toContain('https://vectra-brain.invalid');
  });

  it('stops reading an answer once it is over the size cap, and says so', async () => {
    let sent = 0;
    let closedEarly = false;
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const total = 200;
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => {
        closedEarly = sent < total;
      });
      const pump = () => {
        while (sent < total) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = server.address() as AddressInfo;
      const err = await failure(client(`http://127.0.0.1:${port}`).health());
      expect(err.code).toBe('unknown');
      expect(err.message).toBe('Unexpected response from Vectra Detect: the answer is larger than 8 MB.');
      await new Promise((r) => setTimeout(r, 50));
      expect(closedEarly).toBe(true);
      expect(sent).toBeLessThan(50);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('refuses an answer whose content-length is over the size cap without reading it', async () => {
    let bodyWritten = false;
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) });
      res.flushHeaders();
      setTimeout(() => {
        bodyWritten = !res.destroyed && res.write('[');
      }, 100);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = server.address() as AddressInfo;
      const started = Date.now();
      const err = await failure(client(`http://127.0.0.1:${port}`).health());
      expect(err.message).toBe('Unexpected response from Vectra Detect: the answer is larger than 8 MB.');
      expect(Date.now() - started).toBeLessThan(100);
      expect(bodyWritten).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it.runIf(hasOpenssl)(
    'maps a self-signed certificate to unknown "Unable to verify SSL certificate"',
    async () => {
      const { key, cert } = selfSignedCert('/CN=127.0.0.1');
      const server = createHttpsServer({ key, cert }, (_req, res) => res.end('{}'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      try {
        const { port } = server.address() as AddressInfo;
        const err = await failure(client(`https://127.0.0.1:${port}`).health());
        expect(err.code).toBe('unknown');
        expect(err.message).toBe('Unable to verify SSL certificate: the certificate is self-signed.');
      } finally {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
    },
  );
});

describe('upstream detail', () => {
  it('prefers detail, then errors[0].title, then _meta.message', () => {
    expect(upstreamDetail('{"detail":"a","errors":[{"title":"b"}]}')).toBe('a');
    expect(upstreamDetail('{"errors":[{"title":"b"}],"_meta":{"message":"c"}}')).toBe('b');
    expect(upstreamDetail('{"_meta":{"message":"c"}}')).toBe('c');
    expect(upstreamDetail('<html>')).toBeUndefined();
  });

  it('strips token-like text and truncates to 300 characters', async () => {
    const long = `Bad token Token abcdefgh12345 eyJhbGciOi.eyJzdWIiOi.sig ${'x'.repeat(400)}`;
    expect(scrubTokens('Bearer abcdef123456 and eyJa.eyJb.c')).toBe('Bearer [redacted] and [redacted]');
    brain.inject({ path: '/hosts', status: 403, body: { detail: `${long} ${brain.apiToken}` } });
    const err = await failure(clientFor(brain, 'v2.5').listHosts());
    expect(err.message).not.toContain(brain.apiToken);
    expect(err.message).not.toContain('abcdefgh12345');
    expect(err.message).not.toContain('eyJ');
    expect(err.message.length).toBeLessThanOrEqual(300 + 'Permission denied by Vectra Detect: '.length);
  });
});

describe('credentials in upstream text', () => {
  const tokenOf = (authorization: string | undefined) => (authorization ?? '').replace(/^\S+\s+/, '');

  it('scrubs a short OAuth access token echoed in a 400, 403 or 401 detail', async () => {
    const short = await withBrain({ tokenBytes: 5 }); // 10 hex characters: below every "looks long" rule
    try {
      short.addHost({ name: 'h' });
      const seen: string[] = [];
      const echo = (r: { authorization: string | undefined }) => {
        seen.push(tokenOf(r.authorization));
        return { detail: `${tokenOf(r.authorization)} may not list this` };
      };
      for (const status of [400, 403]) {
        short.inject({ path: '/hosts', status, body: echo });
        const err = await failure(clientFor(short, 'v3').listHosts());
        expect(err.message).toContain('may not list this');
        expect(err.message).not.toContain(seen.at(-1));
      }
      // The token refused twice was dropped from the cache before the error was built.
      short.inject({ path: '/hosts', status: 401, times: 2, body: echo });
      const err = await failure(clientFor(short, 'v3').listHosts());
      expect(err.code).toBe('authorization error');
      for (const t of seen) expect(err.message).not.toContain(t);
      expect(seen.every((t) => t.length === 10)).toBe(true);
      short.inject({ path: '/hosts', status: 500, body: echo });
      expect((await failure(clientFor(short, 'v3').listHosts())).message).toBe(
        'The Vectra Detect internal error.',
      );
    } finally {
      await short.close();
    }
  });

  it('scrubs a short refresh token echoed by the token endpoint', async () => {
    const short = await withBrain({ tokenBytes: 5, tokenTtlSeconds: 0.05 });
    try {
      await clientFor(short, 'v3').health();
      await new Promise((r) => setTimeout(r, 80));
      let refresh = '';
      short.inject({
        path: '/oauth2/token',
        status: 403,
        body: (r: { body: string }) => {
          refresh = new URLSearchParams(r.body).get('refresh_token') ?? '';
          return { detail: `refresh ${refresh} is not yours` };
        },
      });
      const err = await failure(clientFor(short, 'v3').health());
      expect(refresh).toHaveLength(10);
      expect(err.message).toContain('is not yours');
      expect(err.message).not.toContain(refresh);
    } finally {
      await short.close();
    }
  });

  it('scrubs a short API token or client secret echoed back', async () => {
    const short = await withBrain({ apiToken: 'tok-1234', clients: { cid: 'sec-5678' } });
    try {
      short.inject({ path: '/hosts', status: 403, body: { detail: 'tok-1234 is not allowed' } });
      expect((await failure(clientFor(short, 'v2.5').listHosts())).message).toBe(
        'Permission denied by Vectra Detect: [redacted] is not allowed',
      );
      short.inject({ path: '/oauth2/token', status: 400, body: { detail: 'bad secret sec-5678' } });
      const err = await failure(clientFor(short, 'v3').health());
      expect(err.code).toBe('authorization error');
      expect(err.message).toBe(
        'Authorization failed: Vectra Detect rejected the API client credentials (HTTP 400).',
      );
      expect(err.message).not.toContain('sec-5678');
    } finally {
      await short.close();
    }
  });
});
