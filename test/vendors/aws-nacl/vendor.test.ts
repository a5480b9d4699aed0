import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import { RelayError } from '../../../src/kernel/errors.js';
import {
  AWS_NACL_CLIENT_NAME,
  awsNaclClient,
  awsNaclVendor,
  DENY_ACTION,
  parseNaclConfig,
  REMOVE_DENY_ACTION,
} from '../../../src/vendors/aws-nacl/index.js';
import { denies, type Harness, host, startHarness, stopHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
});

const ip = (value: string) => ({ type: 'ip', value });

describe('vendor configuration from claims', () => {
  const config = makeConfig();
  const base = {
    block_clients: 'vectra, aws_nacl',
    aws_region: 'eu-west-1',
    aws_nacl_ids: 'acl-0123456789abcdef0',
  };

  it('is disabled unless block_clients lists aws_nacl', () => {
    expect(
      awsNaclVendor.configure({ aws_region: 'eu-west-1', aws_nacl_ids: 'acl-01234567' }, config),
    ).toBeUndefined();
    expect(awsNaclVendor.configure({ ...base, block_clients: 'vectra' }, config)).toBeUndefined();
  });

  it('reads defaults: both directions, band 1-99, no role, no dry-run', () => {
    expect(awsNaclVendor.configure(base, config)).toMatchObject({
      region: 'eu-west-1',
      naclIds: ['acl-0123456789abcdef0'],
      directions: ['egress', 'ingress'],
      band: { lo: 1, hi: 99 },
      dryRun: false,
    });
    expect(awsNaclVendor.configure(base, config)?.role).toBeUndefined();
  });

  it('reads every optional field', () => {
    const cfg = awsNaclVendor.configure(
      {
        ...base,
        aws_nacl_ids: 'acl-01234567, acl-89abcdef ,acl-01234567',
        aws_nacl_direction: 'egress',
        aws_nacl_rule_range: '10-49',
        aws_role_arn: 'arn:aws-us-gov:iam::123456789012:role/path/xdr',
        aws_external_id: 'ext-1',
        aws_nacl_dry_run: 'true',
      },
      config,
    );
    expect(cfg).toMatchObject({
      naclIds: ['acl-01234567', 'acl-89abcdef'],
      directions: ['egress'],
      band: { lo: 10, hi: 49 },
      role: { arn: 'arn:aws-us-gov:iam::123456789012:role/path/xdr', externalId: 'ext-1' },
      dryRun: true,
    });
  });

  it.each([
    [{ aws_region: undefined }, 'aws_region is missing'],
    [{ aws_nacl_ids: '' }, 'aws_nacl_ids is missing'],
    [{ aws_region: 'mars-1' }, 'aws_region is invalid'],
    [{ aws_nacl_ids: 'sg-01234567' }, 'aws_nacl_ids is invalid'],
    [{ aws_nacl_ids: 'acl-0123' }, 'aws_nacl_ids is invalid'],
    [{ aws_nacl_direction: 'sideways' }, 'aws_nacl_direction is invalid'],
    [{ aws_nacl_rule_range: '0-99' }, 'aws_nacl_rule_range must be'],
    [{ aws_nacl_rule_range: '50-10' }, 'aws_nacl_rule_range must be'],
    [{ aws_nacl_rule_range: '1-32767' }, 'aws_nacl_rule_range must be'],
    [{ aws_nacl_rule_range: 'all' }, 'aws_nacl_rule_range is invalid'],
    [{ aws_role_arn: 'arn:aws:iam::12:user/x' }, 'aws_role_arn is invalid'],
    [{ aws_external_id: 'x1' }, 'aws_external_id needs aws_role_arn'],
    [{ aws_nacl_dry_run: 'yes' }, 'aws_nacl_dry_run is invalid'],
  ])('rejects %j with an authorization error', (patch, message) => {
    const claims = Object.fromEntries(
      Object.entries({ ...base, ...patch }).filter(([, v]) => v !== undefined),
    );
    let err: unknown;
    try {
      awsNaclVendor.configure(claims as Record<string, string>, config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('authorization error');
    expect((err as RelayError).message).toContain(
      `Authorization failed: Wrong JWT payload structure: ${message}`,
    );
  });

  it('owns only aws_nacl- action ids', () => {
    expect(awsNaclVendor.ownsAction?.(DENY_ACTION)).toBe(true);
    expect(awsNaclVendor.ownsAction?.(REMOVE_DENY_ACTION)).toBe(true);
    expect(awsNaclVendor.ownsAction?.('vectra-block-host')).toBe(false);
  });
});

describe('respond and trigger', () => {
  it('offers Deny when the IP is not denied and Remove deny when it is, per configured NACL', async () => {
    h = await startHarness({ nacls: [{}, {}] });
    const [a, b] = h.fake.naclIds as [string, string];
    await h.client.blockHost(host('203.0.113.5'));
    // Only NACL b gets the second address.
    const cfgB = parseNaclConfig({ ...h.claims, aws_nacl_ids: b }, h.ctx.config);
    await awsNaclClient.create(cfgB, h.ctx).blockHost(host('203.0.113.6'));
    h.fake.clearCalls();
    const out = await awsNaclVendor.respond?.(
      h.cfg,
      [ip('203.0.113.5'), ip('203.0.113.6'), { type: 'domain', value: 'x.test' }, ip('nope')],
      h.ctx,
    );
    expect(h.fake.calls.map((c) => c.action)).toEqual(['DescribeNetworkAcls']);
    expect(out?.data.map((x) => [x.id, x.title])).toEqual([
      [REMOVE_DENY_ACTION, `Remove deny of 203.0.113.5 at network ACL ${a}`],
      [REMOVE_DENY_ACTION, `Remove deny of 203.0.113.5 at network ACL ${b}`],
      [DENY_ACTION, `Deny 203.0.113.6 at network ACL ${a}`],
      [REMOVE_DENY_ACTION, `Remove deny of 203.0.113.6 at network ACL ${b}`],
    ]);
    expect(out?.data[2]).toEqual({
      id: DENY_ACTION,
      title: `Deny 203.0.113.6 at network ACL ${a}`,
      description: `Add a deny rule (egress and ingress) for 203.0.113.6 to AWS network ACL ${a} in eu-west-1`,
      categories: ['AWS Network ACL', 'Block'],
      'query-params': { observable_type: 'ip', observable_value: '203.0.113.6', nacl_id: a },
    });
    expect(out?.data[0]?.categories).toEqual(['AWS Network ACL', 'Unblock']);
  });

  it('does not offer Deny for protected addresses, and handles ipv6 observables', async () => {
    h = await startHarness({ config: { naclProtectedCidrs: ['203.0.113.0/24'] } });
    const out = await awsNaclVendor.respond?.(
      h.cfg,
      [ip('203.0.113.5'), { type: 'ipv6', value: '2001:db8::5' }],
      h.ctx,
    );
    expect(out?.data.map((x) => x.title)).toEqual([`Deny 2001:db8::5 at network ACL ${h.naclId}`]);
  });

  it('trigger denies then reports unchanged on repeat, and removes the deny', async () => {
    h = await startHarness();
    const req = (actionId: string) => ({
      actionId,
      observable: ip('203.0.113.5'),
      params: { observable_type: 'ip', observable_value: '203.0.113.5', nacl_id: h?.naclId ?? '' },
    });
    const id = `${h.naclId}/203.0.113.5/32`;
    expect(await awsNaclVendor.trigger?.(h.cfg, req(DENY_ACTION), h.ctx)).toEqual({
      elements: [id],
      client: AWS_NACL_CLIENT_NAME,
    });
    expect(denies(h)).toHaveLength(2);
    expect(await awsNaclVendor.trigger?.(h.cfg, req(DENY_ACTION), h.ctx)).toMatchObject({ unchanged: true });
    expect(await awsNaclVendor.trigger?.(h.cfg, req(REMOVE_DENY_ACTION), h.ctx)).toEqual({
      elements: [id],
      client: AWS_NACL_CLIENT_NAME,
    });
    expect(denies(h)).toEqual([]);
    expect(await awsNaclVendor.trigger?.(h.cfg, req(REMOVE_DENY_ACTION), h.ctx)).toMatchObject({
      unchanged: true,
    });
  });

  it('trigger validates nacl_id against the configured ids and rejects unknown actions', async () => {
    h = await startHarness();
    const base = { observable: ip('203.0.113.5') };
    const run = (actionId: string, params: Record<string, string>) =>
      awsNaclVendor.trigger?.(h?.cfg as never, { ...base, actionId, params }, h?.ctx as never);
    await expect(run(DENY_ACTION, { nacl_id: 'acl-0123456789abcdef0' })).rejects.toMatchObject({
      code: 'invalid argument',
    });
    await expect(run(DENY_ACTION, {})).rejects.toMatchObject({ code: 'invalid argument' });
    await expect(run('aws_nacl-explode', { nacl_id: h.naclId })).rejects.toMatchObject({
      code: 'invalid argument',
      message: 'Unsupported action.',
    });
    expect(h.fake.calls).toEqual([]);
  });

  it('trigger in dry-run reports what would change and writes nothing', async () => {
    h = await startHarness({ claims: { aws_nacl_dry_run: 'true', aws_nacl_direction: 'egress' } });
    const out = await awsNaclVendor.trigger?.(
      h.cfg,
      { actionId: DENY_ACTION, observable: ip('203.0.113.5'), params: { nacl_id: h.naclId } },
      h.ctx,
    );
    expect(out).toEqual({
      elements: [`would create egress deny rule 1 for 203.0.113.5/32 in ${h.naclId}`],
      client: AWS_NACL_CLIENT_NAME,
      unchanged: true,
    });
    expect(denies(h)).toEqual([]);
  });

  it('health proves credentials, existence and band capacity', async () => {
    h = await startHarness({ claims: { aws_nacl_rule_range: '1-1', aws_nacl_direction: 'egress' } });
    await expect(awsNaclVendor.health?.(h.cfg, h.ctx)).resolves.toEqual([]);
    await h.client.blockHost(host('203.0.113.5'));
    await expect(awsNaclVendor.health?.(h.cfg, h.ctx)).rejects.toMatchObject({ code: 'state conflict' });
    h.fake.injectUnauthorized('DescribeNetworkAcls');
    await expect(awsNaclVendor.health?.(h.cfg, h.ctx)).rejects.toMatchObject({ code: 'permission denied' });
  });
});
