/** The Carbon Black collection in the stack: bucket, collect function, schedule and least-privilege rights. */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGES_DIR } from '../../cdk/lib/app.js';
import { resolveStage } from '../../cdk/lib/stage-config.js';
import {
  fakeAssets,
  logicalId,
  resource,
  resourcesOf,
  type Synth,
  statementsOfRole,
  synthStage,
} from './support.js';

let assets: string;
let lab: Synth;
let plain: Synth;

const LAB = {
  engine: { enabled: true },
  collection: { enabled: true, files: ['C:\\Windows\\System32\\drivers\\etc\\hosts'], retentionDays: 14 },
};

beforeAll(async () => {
  assets = fakeAssets();
  lab = await synthStage(assets, { stage: 'lab', stages: { lab: LAB } });
  plain = await synthStage(assets, { stage: 'lab', stages: { lab: { engine: { enabled: true } } } });
}, 120_000); // two synths: slow on a busy machine
afterAll(() => rmSync(assets, { recursive: true, force: true }));

const bucketRef = () => logicalId(lab.json, 'AWS::S3::Bucket', 'CollectBucket');
const objects = (prefix: string) => ({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketRef(), 'Arn'] }, `/${prefix}`]],
});
const envOf = (prefix: string) =>
  (
    resource(lab.json, 'AWS::Lambda::Function', prefix).Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

describe('collection stack resources', () => {
  it('creates nothing for a stage without the collection', () => {
    expect(Object.keys(resourcesOf(plain.json, 'AWS::S3::Bucket'))).toEqual([]);
    expect(() => resource(plain.json, 'AWS::Lambda::Function', 'CollectFunction')).toThrow();
  });

  it('makes the bucket private, encrypted, TLS-only and expiring', () => {
    const b = resource(lab.json, 'AWS::S3::Bucket', 'CollectBucket').Properties;
    expect(b.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(b.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(b.LifecycleConfiguration).toEqual({
      Rules: [
        { Id: 'expire-collections', ExpirationInDays: 14, Status: 'Enabled' },
        {
          Id: 'abort-incomplete-uploads',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        },
      ],
    });
    const policy = Object.values(resourcesOf(lab.json, 'AWS::S3::BucketPolicy'))[0]?.Properties
      .PolicyDocument as {
      Statement: { Effect: string; Condition?: unknown }[];
    };
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('gives the relay only job records and pointers, never results or deletes', () => {
    const st = statementsOfRole(lab.json, 'RelayRole').find((x) => x.Sid === 'StartCollections');
    expect(st).toEqual({
      Sid: 'StartCollections',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: [objects('jobs/*'), objects('active/*'), objects('devices/*')],
    });
    expect(envOf('RelayFunction')).toMatchObject({
      COLLECT_BUCKET: { Ref: bucketRef() },
      CARBON_BLACK_COLLECT_FILES: 'C:\\Windows\\System32\\drivers\\etc\\hosts',
      CARBON_BLACK_COLLECT_TIMEOUT_S: '900',
    });
  });

  it('gives the collect function its prefixes, the engine secret, no NACL rights, one run at a time, every minute', () => {
    const sts = statementsOfRole(lab.json, 'CollectRole');
    expect(sts.map((x) => x.Sid).sort()).toEqual(
      [
        'AdvanceCollections',
        'EndCollections',
        'ListActiveCollections',
        'ReadOwnSecrets',
        'WriteOwnLogs',
      ].sort(),
    );
    expect(sts.find((x) => x.Sid === 'ListActiveCollections')).toMatchObject({
      Action: 's3:ListBucket',
      Condition: { StringLike: { 's3:prefix': ['active/*'] } },
    });
    expect(sts.find((x) => x.Sid === 'EndCollections')).toMatchObject({
      Action: 's3:DeleteObject',
      Resource: objects('active/*'),
    });
    const fn = resource(lab.json, 'AWS::Lambda::Function', 'CollectFunction').Properties;
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    expect(envOf('CollectFunction')).toMatchObject({
      ENGINE_SECRET_ARN: { Ref: logicalId(lab.json, 'AWS::SecretsManager::Secret', 'EngineSecret') },
    });
    const rule = resource(lab.json, 'AWS::Events::Rule', 'CollectSchedule').Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
  });

  it('refuses a collection without the engine, and a relative path', () => {
    expect(() =>
      resolveStage('x', { stagesDir: STAGES_DIR, contextStages: { x: { collection: { enabled: true } } } }),
    ).toThrow(/needs the engine/);
    expect(() =>
      resolveStage('x', {
        stagesDir: STAGES_DIR,
        contextStages: { x: { engine: { enabled: true }, collection: { files: ['hosts'] } } },
      }),
    ).toThrow(/absolute path/);
  });
});
