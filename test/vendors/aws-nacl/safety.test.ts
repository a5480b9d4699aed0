/**
 * Issue 12, NACL part: the deployment owns the band, a deny is never written
 * behind an allow that matches its traffic, one missing NACL does not break the
 * others, and a remove right after a deny sees it despite EC2's eventually
 * consistent reads. All against the fake EC2 over HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import type { RelayError } from '../../../src/kernel/errors.js';
import {
  AWS_NACL_CLIENT_NAME,
  awsNaclClient,
  awsNaclVendor,
  DENY_ACTION,
  parseNaclConfig,
  REMOVE_DENY_ACTION,
} from '../../../src/vendors/aws-nacl/index.js';
import { denies, type Harness, host, listClient, startHarness, stopHarness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await stopHarness(h);
  h = undefined;
});

const ip = (value: string) => ({ type: 'ip', value });
const base = { block_clients: 'aws_nacl', aws_region: 'eu-west-1', aws_nacl_ids: 'acl-0123456789abcdef0' };
const failure = async (p: Promise<unknown> | undefined): Promise<RelayError> => {
  try {
    await p;
  } catch (err) {
    return err as RelayError;
  }
  throw new Error('expected a failure');
};

describe('the owned band is the deployment’s', () => {
  it('refuses a token range outside NACL_RULE_BAND, naming both ranges', () => {
    const config = makeConfig();
    expect(() => awsNaclVendor.configure({ ...base, aws_nacl_rule_range: '1-32766' }, config)).toThrow(
      /^Authorization failed: Wrong JWT payload structure: aws_nacl_rule_range 1-32766 is outside the deployment's owned band 1-99/,
    );
    expect(awsNaclVendor.configure({ ...base, aws_nacl_rule_range: '5-9' }, config)?.band).toEqual({
      lo: 5,
      hi: 9,
    });
    const wide = makeConfig({ naclRuleBand: { lo: 1, hi: 400 } });
    expect(awsNaclVendor.configure(base, wide)?.band).toEqual({ lo: 1, hi: 400 });
  });

  it('never removes an administrator’s deny outside the band, and health lists it as unmanaged', async () => {
    h = await startHarness({ claims: { aws_nacl_direction: 'egress' } });
    h.fake.addForeignEntry(h.naclId, {
      ruleNumber: 200,
      egress: true,
      protocol: '-1',
      ruleAction: 'deny',
      cidrBlock: '203.0.113.9/32',
    });
    await awsNaclVendor.trigger?.(
      h.cfg,
      {
        actionId: REMOVE_DENY_ACTION,
        observable: ip('203.0.113.9'),
        params: { nacl_id: h.naclId },
      } as never,
      h.ctx,
    );
    expect(h.fake.entries(h.naclId).some((e) => e.ruleNumber === 200)).toBe(true);
    const warnings = await awsNaclVendor.health?.(h.cfg, h.ctx);
    expect(warnings).toContainEqual(
      expect.objectContaining({
        type: 'warning',
        code: 'unmanaged-nacl-entries',
        message: expect.stringContaining('egress 200 203.0.113.9/32'),
      }),
    );
  });
});

describe('no deny behind an allow that matches its traffic', () => {
  it('refuses a band that lies after the default allow 100, saying why', async () => {
    h = await startHarness({
      config: { naclRuleBand: { lo: 1, hi: 200 } },
      claims: { aws_nacl_rule_range: '101-200', aws_nacl_direction: 'egress' },
    });
    const err = await failure(h.client.blockHost(host('203.0.113.5')));
    expect(err.code).toBe('state conflict');
    expect(err.message).toMatch(/rule 100 allows 0\.0\.0\.0\/0 .*evaluates it first/);
    expect(denies(h)).toEqual([]);
    const warnings = await awsNaclVendor.health?.(h.cfg, h.ctx);
    expect(warnings).toContainEqual(expect.objectContaining({ code: 'deny-behind-allow' }));
    const out = await awsNaclVendor.respond?.(h.cfg, [ip('203.0.113.5')], h.ctx);
    expect(out?.data).toEqual([]);
    expect(out?.errors).toContainEqual(expect.objectContaining({ code: 'deny-not-possible' }));
  });

  it('with an allow for the address at 3 and our denies at 1-2, refuses instead of writing at 4', async () => {
    h = await startHarness({ claims: { aws_nacl_direction: 'egress' } });
    await h.client.blockHost(host('198.51.100.1'));
    await h.client.blockHost(host('198.51.100.2'));
    h.fake.addForeignEntry(h.naclId, {
      ruleNumber: 3,
      egress: true,
      protocol: '-1',
      ruleAction: 'allow',
      cidrBlock: '198.51.100.0/24',
    });
    const err = await failure(h.client.blockHost(host('198.51.100.7')));
    expect(err.code).toBe('state conflict');
    expect(err.message).toContain('rule 3 allows 198.51.100.0/24');
    // An address the allow does not match still gets a number above it.
    await h.client.blockHost(host('203.0.113.5'));
    expect(h.fake.entries(h.naclId).find((e) => e.cidrBlock === '203.0.113.5/32')?.ruleNumber).toBe(4);
    const out = await awsNaclVendor.respond?.(h.cfg, [ip('198.51.100.7')], h.ctx);
    expect(out?.data.filter((a) => a.id === DENY_ACTION)).toEqual([]);
  });

  it('writes below the allow when a number is free there', async () => {
    h = await startHarness({ claims: { aws_nacl_direction: 'egress' } });
    h.fake.addForeignEntry(h.naclId, {
      ruleNumber: 1,
      egress: true,
      protocol: '-1',
      ruleAction: 'allow',
      cidrBlock: '192.0.2.0/24',
    });
    h.fake.addForeignEntry(h.naclId, {
      ruleNumber: 3,
      egress: true,
      protocol: '-1',
      ruleAction: 'allow',
      cidrBlock: '203.0.113.0/24',
    });
    await h.client.blockHost(host('203.0.113.5'));
    expect(h.fake.entries(h.naclId).find((e) => e.cidrBlock === '203.0.113.5/32')?.ruleNumber).toBe(2);
  });
});

describe('one missing NACL', () => {
  it('is reported alone: the others still get actions and blocks', async () => {
    h = await startHarness();
    const missing = 'acl-0123456789abcdef0';
    const claims = { ...h.claims, aws_nacl_ids: `${h.naclId},${missing}` };
    const cfg = parseNaclConfig(claims, h.ctx.config);
    const out = await awsNaclVendor.respond?.(cfg, [ip('203.0.113.5')], h.ctx);
    expect(out?.data.map((a) => a['query-params']?.nacl_id)).toEqual([h.naclId]);
    expect(out?.errors).toContainEqual(
      expect.objectContaining({ code: 'not found', message: expect.stringContaining(missing) }),
    );
    const client = listClient(awsNaclClient.create(cfg, h.ctx));
    const err = await failure(client.blockHost(host('203.0.113.5')));
    expect(err.message).toMatch(/was not found.*1 of 2 NACL updates done/);
    expect(denies(h)).toEqual(['egress 203.0.113.5/32', 'ingress 203.0.113.5/32']);
  });
});

describe('read-after-write', () => {
  it('a remove right after a deny re-reads until the deny is visible, then removes it', async () => {
    h = await startHarness();
    const ids = await h.client.blockHost(host('203.0.113.5'));
    h.fake.setReadLag(500);
    const more = await h.client.blockHost(host('203.0.113.6'));
    // EC2 does not show the new entries yet; the remove must not answer "nothing to do".
    await h.client.unblockHost(host(null, { [AWS_NACL_CLIENT_NAME]: [...ids, ...more] }));
    expect(denies(h)).toEqual([]);
  });
});

describe('STS session names', () => {
  it('carry the stage and the module, so CloudTrail in the target account names us', async () => {
    h = await startHarness({
      config: { stage: 'prod' },
      claims: { aws_role_arn: 'arn:aws:iam::210987654321:role/nacl-blocker' },
    });
    await h.client.health?.();
    const assume = h.fake.calls.find((c) => c.action === 'AssumeRole');
    expect(assume?.params.RoleSessionName).toBe('vectra-xdr-relay.prod.aws_nacl');
    expect(assume?.params.RoleSessionName).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});
