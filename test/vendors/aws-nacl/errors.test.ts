import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import {
  awsNaclClient,
  parseNaclConfig,
  setAwsClientOverrides,
} from '../../../src/vendors/aws-nacl/index.js';
import { makeContext } from '../../helpers/context.js';
import { type Harness, host, startHarness, stopHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
});

const failure = async (p: Promise<unknown>): Promise<RelayError> => {
  const err = await p.then(
    () => expect.unreachable('expected a failure'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RelayError);
  return err as RelayError;
};

describe('throttling uses the SDK retries', () => {
  it('retries RequestLimitExceeded (HTTP 503) and succeeds on the third attempt', async () => {
    h = await startHarness({ overrides: { retryStrategy: new ConfiguredRetryStrategy(3, 1) } });
    h.fake.injectThrottle(2, 'DescribeNetworkAcls');
    await h.client.blockHost(host('203.0.113.5'));
    expect(h.fake.calls.filter((c) => c.action === 'DescribeNetworkAcls').map((c) => c.status)).toEqual([
      503, 503, 200,
    ]);
  });

  it('maps exhausted retries to too many requests after exactly 3 attempts on the wire', async () => {
    // Production retry settings (standard, 3 attempts): nothing is overridden but the endpoint.
    h = await startHarness();
    h.fake.injectThrottle(5);
    const err = await failure(h.client.blockHost(host('203.0.113.5')));
    expect(err.code).toBe('too many requests');
    expect(h.fake.calls.map((c) => `${c.action}:${c.status}`)).toEqual(
      Array(3).fill('DescribeNetworkAcls:503'),
    );
  });

  it('honours a retry strategy given through SDK config (small backoff, 2 attempts)', async () => {
    h = await startHarness({ overrides: { retryStrategy: new ConfiguredRetryStrategy(2, 1) } });
    h.fake.injectThrottle(5);
    expect((await failure(h.client.blockHost(host('203.0.113.5')))).code).toBe('too many requests');
    expect(h.fake.calls).toHaveLength(2);
  });
});

describe('AWS errors map to relay codes without leaking AWS messages', () => {
  const cases: [string, number, string, RegExp][] = [
    ['UnauthorizedOperation', 403, 'permission denied', /ec2:DescribeNetworkAcls/],
    [
      'AuthFailure',
      401,
      'authorization error',
      /^Authorization failed: AWS rejected the credentials \(AuthFailure\)/,
    ],
    ['InvalidNetworkAclID.NotFound', 400, 'not found', /acl-/],
    ['InternalError', 500, 'service unavailable', /InternalError/],
    ['SomethingNew', 400, 'unknown', /failed: SomethingNew\.$/],
  ];
  it.each(cases)('%s → %s', async (code, status, relayCode, message) => {
    h = await startHarness({ overrides: { maxAttempts: 1 } });
    h.fake.injectError(code, { status, message: 'secret-ish detail AKIDSECRET' });
    const err = await failure(h.client.blockHost(host('203.0.113.5')));
    expect(err.code).toBe(relayCode);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('AKIDSECRET');
  });

  it('names the missing NACL id for InvalidNetworkAclID.NotFound', async () => {
    h = await startHarness();
    const claims = { ...h.claims, aws_nacl_ids: 'acl-0123456789abcdef0' };
    const cfg = parseNaclConfig(claims, h.ctx.config);
    const client = awsNaclClient.create(cfg, h.ctx);
    const err = await failure(client.blockHost(host('203.0.113.5')));
    expect(err.code).toBe('not found');
    // Reported for that NACL alone (the describe itself no longer fails for an unknown id).
    expect(err.message).toMatch(/^Network ACL acl-0123456789abcdef0 was not found in eu-west-1\./);
  });

  it('maps the UnauthorizedOperation of a write to permission denied naming the action and NACL', async () => {
    h = await startHarness();
    h.fake.injectUnauthorized('CreateNetworkAclEntry');
    const err = await failure(h.client.blockHost(host('203.0.113.5')));
    expect(err.code).toBe('permission denied');
    expect(err.message).toContain(`ec2:CreateNetworkAclEntry on ${h.naclId}`);
    expect(err.message).not.toContain('Encoded');
  });

  it('maps a refused connection to connection error', async () => {
    h = await startHarness();
    await h.fake.close();
    const err = await failure(h.client.blockHost(host('203.0.113.5')));
    expect(err.code).toBe('connection error');
    expect(err.message).toBe('Unable to connect to AWS EC2 in eu-west-1.');
    h = undefined;
    setAwsClientOverrides();
  });

  it('passes the request AbortSignal to the SDK', async () => {
    h = await startHarness({ latencyMs: 2_000 });
    const ctx = makeContext({ claims: h.claims, signal: AbortSignal.timeout(50) });
    const client = awsNaclClient.create(h.cfg, ctx);
    const started = Date.now();
    const err = await failure(client.blockHost(host('203.0.113.5')));
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(err.code).toBe('service unavailable');
  });
});

describe('cross-account role', () => {
  it('assumes the role once with the external id and signs EC2 calls with the temporary key', async () => {
    h = await startHarness({
      claims: { aws_role_arn: 'arn:aws:iam::210987654321:role/xdr-nacl', aws_external_id: 'tenant-42' },
    });
    await h.client.blockHost(host('203.0.113.5'));
    await h.client.blockHost(host('203.0.113.6'));
    const assume = h.fake.calls.filter((c) => c.action === 'AssumeRole');
    expect(assume).toHaveLength(1);
    expect(assume[0]?.params).toMatchObject({
      RoleArn: 'arn:aws:iam::210987654321:role/xdr-nacl',
      ExternalId: 'tenant-42',
    });
    const ec2 = h.fake.calls.filter((c) => c.action !== 'AssumeRole');
    expect(ec2.every((c) => c.accessKeyId?.startsWith('ASIA') && c.region === 'eu-west-1')).toBe(true);
  });

  it('maps an STS AccessDenied to permission denied naming the role', async () => {
    h = await startHarness({ claims: { aws_role_arn: 'arn:aws:iam::210987654321:role/other' } });
    h.fake.injectError('AccessDenied', { action: 'AssumeRole', status: 403, count: 5 });
    const err = await failure(h.client.blockHost(host('203.0.113.5')));
    expect(err.code).toBe('permission denied');
    expect(err.message).toContain('arn:aws:iam::210987654321:role/other');
  });
});
