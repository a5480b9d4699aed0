import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { addStage, STAGES_DIR } from '../../cdk/lib/app.js';
import {
  CISCO_JWKS_HOSTS,
  knownStages,
  parseStageSettings,
  resolveStage,
  StageConfigError,
} from '../../cdk/lib/stage-config.js';
import { fromRoot } from '../../scripts/lib/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'relay-stages-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StageConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a StageConfigError');
};
const parse = (raw: unknown) => parseStageSettings('test', raw, 'test.json');

describe('stage settings', () => {
  it('fills safe defaults for an empty stage: rs256, Cisco hosts, engine off but dry run', () => {
    expect(parse({})).toEqual({
      authMode: 'rs256',
      jwksAllowedHosts: [...CISCO_JWKS_HOSTS],
      naclArns: [],
      roleArns: [],
      naclProtectedCidrs: [],
      naclRuleBand: '1-99',
      upstreamAllowedCidrs: [],
      upstreamAllowedHosts: [],
      jwtRequireExp: false,
      logLevel: 'INFO',
      logRetentionDays: 30,
      memoryMb: 512,
      timeoutSeconds: 25,
      removalPolicy: 'retain',
      terminationProtection: false,
      tags: {},
      engine: { enabled: false, scheduleMinutes: 15, dryRun: true, memoryMb: 512, timeoutSeconds: 120 },
      collection: { enabled: false, files: [], timeoutSeconds: 900, retentionDays: 30 },
    });
  });

  it('keeps dry run on when a stage enables the engine without saying otherwise', () => {
    expect(parse({ engine: { enabled: true } }).engine.dryRun).toBe(true);
  });

  it('ships dev and prod examples that validate', () => {
    expect(knownStages({ stagesDir: STAGES_DIR })).toEqual(expect.arrayContaining(['dev', 'prod']));
    expect(resolveStage('dev', { stagesDir: STAGES_DIR }).settings.authMode).toBe('hs256');
    expect(resolveStage('prod', { stagesDir: STAGES_DIR }).settings.publicUrl).toBe(
      'https://xdr-relay.example.com',
    );
  });

  it('names the setting, the problem and the value for a malformed NACL ARN', () => {
    expect(errorOf(() => parse({ naclArns: ['acl-0123456789abcdef0'] }))).toBe(
      'Invalid settings for stage "test" (test.json):\n' +
        '  - naclArns[0]: expected a network ACL ARN: arn:aws:ec2:<region>:<account>:network-acl/acl-<id> (got "acl-0123456789abcdef0")',
    );
  });

  it('lists every problem at once', () => {
    const message = errorOf(() =>
      parse({
        authMode: 'none',
        roleArns: ['arn:aws:iam::123456789012:role/*'],
        logRetentionDays: 10,
        memoryMb: 64,
        publicUrl: 'http://relay.example.com',
        engine: { scheduleMinutes: 0 },
      }),
    );
    expect(message.split('\n').slice(1)).toEqual([
      '  - authMode: expected one of "rs256", "hs256" (got "none")',
      '  - publicUrl: expected an https:// URL (got "http://relay.example.com")',
      '  - roleArns[0]: expected an IAM role ARN without wildcards: arn:aws:iam::<account>:role/<name> (got "arn:aws:iam::123456789012:role/*")',
      expect.stringMatching(/^ {2}- logRetentionDays: expected one of 1, 3, 5, .* \(got 10\)$/),
      expect.stringMatching(/^ {2}- memoryMb: .*128.* \(got 64\)$/),
      expect.stringMatching(/^ {2}- engine\.scheduleMinutes: .*1.* \(got 0\)$/),
    ]);
  });

  it('rejects unknown settings instead of ignoring a typo', () => {
    const lines = errorOf(() => parse({ naclArn: [], engine: { enable: true } })).split('\n');
    expect(lines.slice(1).sort()).toEqual([
      '  - engine.enable: unknown setting',
      '  - naclArn: unknown setting',
    ]);
  });

  it('rejects wrong types', () => {
    expect(errorOf(() => parse({ engine: { dryRun: 'false' } }))).toContain('engine.dryRun');
    expect(errorOf(() => parse({ reservedConcurrency: 1.5 }))).toContain('reservedConcurrency');
  });

  it('rejects a NACL in another account than the stage deploys to', () => {
    expect(
      errorOf(() =>
        parse({
          account: '111122223333',
          naclArns: ['arn:aws:ec2:eu-west-1:123456789012:network-acl/acl-0123abcd'],
        }),
      ),
    ).toContain('naclArns[0]: NACL is in account 123456789012 but the stage deploys to 111122223333');
  });

  it('rejects an engine that could still be running when the next run starts', () => {
    expect(
      errorOf(() => parse({ engine: { enabled: true, scheduleMinutes: 1, timeoutSeconds: 60 } })),
    ).toContain('engine.timeoutSeconds: must be shorter than the schedule (1 min)');
  });

  it('rejects a request deadline the function timeout would cut short', () => {
    expect(errorOf(() => parse({ timeoutSeconds: 10 }))).toContain(
      'requestDeadlineMs: must be below timeoutSeconds',
    );
    expect(parse({ timeoutSeconds: 10, requestDeadlineMs: 8000 }).requestDeadlineMs).toBe(8000);
  });

  it('normalises lists and the public URL', () => {
    const s = parse({
      publicUrl: 'https://relay.example.com/',
      naclProtectedCidrs: ['10.0.0.0/8', '10.0.0.0/8', 'fd00::/8'],
    });
    expect(s.publicUrl).toBe('https://relay.example.com');
    expect(s.naclProtectedCidrs).toEqual(['10.0.0.0/8', 'fd00::/8']);
  });
});

describe('resolving the stage', () => {
  it('asks for a stage and lists the known ones when none is given', () => {
    expect(errorOf(() => resolveStage(undefined, { stagesDir: STAGES_DIR }))).toMatch(
      /^No stage given: run with -c stage=<name>\. Known stages: .*dev.*prod/,
    );
  });

  it('rejects an unknown stage and a stage name that cannot be part of resource names', () => {
    expect(errorOf(() => resolveStage('qa', { stagesDir: STAGES_DIR }))).toMatch(
      /^Unknown stage "qa"\. Known stages:/,
    );
    expect(errorOf(() => resolveStage('Prod_1', { stagesDir: STAGES_DIR }))).toMatch(
      /^Invalid stage name "Prod_1"/,
    );
  });

  it('reads a stage from cdk.json context', () => {
    const r = resolveStage('lab', { stagesDir: tmp, contextStages: { lab: { logLevel: 'WARN' } } });
    expect([r.source, r.settings.logLevel]).toEqual(['cdk.json context stages.lab', 'WARN']);
  });

  it('refuses a stage defined both in a file and in cdk.json context', () => {
    writeFileSync(join(tmp, 'twice.json'), '{}');
    expect(errorOf(() => resolveStage('twice', { stagesDir: tmp, contextStages: { twice: {} } }))).toMatch(
      /^Stage "twice" is defined twice/,
    );
  });

  it('reports a stage file that is not JSON', () => {
    writeFileSync(join(tmp, 'broken.json'), '{ "authMode": ');
    expect(errorOf(() => resolveStage('broken', { stagesDir: tmp }))).toMatch(/^Cannot read .*broken\.json/);
  });

  it('fails before bundling when the app gets no stage', async () => {
    await expect(addStage(new App(), { assetDir: tmp })).rejects.toThrow(StageConfigError);
  });

  it('prints one readable line and exits 1 from the CDK entry point', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', fromRoot('cdk/bin/relay.ts')], {
      cwd: fromRoot('cdk'),
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ stage: 'dev', stages: { dev: {} } }) },
      encoding: 'utf8',
    });
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toMatch(
      /^Stage "dev" is defined twice: in .*dev\.json and in cdk\.json context "stages"\. Keep one of them\.$/,
    );
  });
});

describe('engine policy in stage settings', () => {
  it('fails the synth on a policy the engine would reject', () => {
    const message = errorOf(() =>
      parse({
        engine: {
          enabled: true,
          policy: { BLOCK_HOST_THREAT_CERTAINTY: { threat: 500, condition: 'and', certainty: 50 } },
        },
      }),
    );
    expect(message).toMatch(/engine\.policy/);
  });

  it('accepts a valid policy', () => {
    expect(
      parse({ engine: { enabled: true, policy: { BLOCK_HOST_TAG: 'isolate-me' } } }).engine.policy,
    ).toEqual({
      BLOCK_HOST_TAG: 'isolate-me',
    });
  });
});
