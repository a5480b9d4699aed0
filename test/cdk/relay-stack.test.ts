import { rmSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayNodeOptions } from '../../cdk/lib/node-options.js';
import { ENGINE_SECRET_PLACEHOLDER_KEY } from '../../cdk/lib/relay-stack.js';
import pkg from '../../package.json' with { type: 'json' };
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
let dev: Synth;
let prod: Synth;
let minimal: Synth;

beforeAll(async () => {
  assets = fakeAssets();
  dev = await synthStage(assets, { stage: 'dev' });
  prod = await synthStage(assets, { stage: 'prod' });
  minimal = await synthStage(assets, { stage: 'lab', stages: { lab: {} } });
  // The first synth loads aws-cdk-lib: ~20 s on a loaded 2-core machine.
}, 120_000);
afterAll(() => rmSync(assets, { recursive: true, force: true }));

const count = (s: Synth, type: string): number => Object.keys(resourcesOf(s.json, type)).length;
const envOf = (s: Synth, prefix: string): Record<string, unknown> =>
  (
    resource(s.json, 'AWS::Lambda::Function', prefix).Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;
const ref = (s: Synth, type: string, prefix: string) => ({ Ref: logicalId(s.json, type, prefix) });
const logsStatement = (s: Synth, prefix: string) => ({
  Sid: 'WriteOwnLogs',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: { 'Fn::GetAtt': [logicalId(s.json, 'AWS::Logs::LogGroup', `${prefix}LogGroup`), 'Arn'] },
});

describe('dev stage (hs256, engine on)', () => {
  it('has the expected resources', () => {
    expect(
      Object.fromEntries(
        [
          'AWS::Lambda::Function',
          'AWS::ApiGatewayV2::Api',
          'AWS::ApiGatewayV2::Stage',
          'AWS::ApiGatewayV2::Route',
          'AWS::ApiGatewayV2::Integration',
          'AWS::SecretsManager::Secret',
          'AWS::Logs::LogGroup',
          'AWS::IAM::Role',
          'AWS::IAM::Policy',
          'AWS::CloudWatch::Alarm',
          'AWS::Events::Rule',
          'AWS::Lambda::Permission',
        ].map((t) => [t, count(dev, t)]),
      ),
    ).toEqual({
      'AWS::Lambda::Function': 2,
      'AWS::ApiGatewayV2::Api': 1,
      'AWS::ApiGatewayV2::Stage': 1,
      'AWS::ApiGatewayV2::Route': 1,
      'AWS::ApiGatewayV2::Integration': 1,
      'AWS::SecretsManager::Secret': 2,
      'AWS::Logs::LogGroup': 3,
      'AWS::IAM::Role': 2,
      'AWS::IAM::Policy': 2,
      'AWS::CloudWatch::Alarm': 7,
      'AWS::Events::Rule': 1,
      'AWS::Lambda::Permission': 2,
    });
  });

  it('runs every function on Node 22, arm64, with its own log group and JSON logs', () => {
    for (const fn of Object.values(resourcesOf(dev.json, 'AWS::Lambda::Function'))) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: {
          LogFormat: 'JSON',
          ApplicationLogLevel: 'DEBUG',
          LogGroup: { Ref: expect.stringMatching(/LogGroup/) },
        },
      });
    }
  });

  it('routes every path and method to the relay with payload 2.0 on the $default stage', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}' });
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
    });
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      Name: 'vectra-xdr-relay-dev',
      ProtocolType: 'HTTP',
    });
  });

  it('feeds the API URL back as the audience and points at the secret, never its value', () => {
    expect(envOf(dev, 'RelayFunction')).toEqual({
      AUTH_MODE: 'hs256',
      JWKS_ALLOWED_HOSTS:
        'visibility.amp.cisco.com,visibility.eu.amp.cisco.com,visibility.apjc.amp.cisco.com',
      RELAY_PUBLIC_URL: {
        'Fn::GetAtt': [logicalId(dev.json, 'AWS::ApiGatewayV2::Api', 'Api'), 'ApiEndpoint'],
      },
      LOG_LEVEL: 'DEBUG',
      NACL_RULE_BAND: '1-99',
      RELAY_STAGE: 'dev',
      SECRET_KEY_ARN: ref(dev, 'AWS::SecretsManager::Secret', 'SecretKey'),
      NODE_OPTIONS: '--max-semi-space-size=2 --max-old-space-size=384',
    });
  });

  it('has the stack generate a 64-character alphanumeric SECRET_KEY', () => {
    expect(resource(dev.json, 'AWS::SecretsManager::Secret', 'SecretKey').Properties).toMatchObject({
      Name: 'vectra-xdr-relay/dev/secret-key',
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
  });

  it('keeps every secret value out of the template and out of environment variables', () => {
    for (const secret of Object.values(resourcesOf(dev.json, 'AWS::SecretsManager::Secret'))) {
      expect(secret.Properties).not.toHaveProperty('SecretString');
      expect(secret.Properties).toHaveProperty('GenerateSecretString');
    }
    for (const fn of Object.values(resourcesOf(dev.json, 'AWS::Lambda::Function'))) {
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const [key, value] of Object.entries(vars)) {
        if (/SECRET|TOKEN|PASSWORD|KEY/.test(key)) {
          expect(key).toMatch(/_ARN$/);
          expect(value).toEqual({ Ref: expect.any(String) });
        }
      }
    }
    // No string value anywhere looks like a generated key (asset hashes in Code aside).
    const values: string[] = [];
    JSON.stringify(dev.json, (key, value: unknown) => {
      if (typeof value === 'string') values.push(value);
      return key === 'Code' ? undefined : value;
    });
    expect(values.filter((v) => /^[A-Za-z0-9]{64}$/.test(v))).toEqual([]);
    expect(values).not.toContain('SECRET_KEY');
  });

  it('grants the relay exactly its logs, the stage NACLs and its own secret', () => {
    expect(statementsOfRole(dev.json, 'RelayRole')).toEqual([
      logsStatement(dev, 'Relay'),
      {
        Sid: 'ChangeStageNetworkAcls',
        Effect: 'Allow',
        Action: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAclEntry'],
        Resource: 'arn:aws:ec2:eu-west-1:123456789012:network-acl/acl-0123456789abcdef0',
      },
      { Sid: 'DescribeNetworkAcls', Effect: 'Allow', Action: 'ec2:DescribeNetworkAcls', Resource: '*' },
      {
        Sid: 'ReadOwnSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: ref(dev, 'AWS::SecretsManager::Secret', 'SecretKey'),
      },
    ]);
  });

  it('attaches no managed policies (no account-wide log permissions)', () => {
    for (const role of Object.values(resourcesOf(dev.json, 'AWS::IAM::Role'))) {
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
      expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }],
      });
    }
  });

  it('sets log retention and the stage in every physical name', () => {
    const names = [
      ...Object.values(resourcesOf(dev.json, 'AWS::Lambda::Function')).map((r) => r.Properties.FunctionName),
      ...Object.values(resourcesOf(dev.json, 'AWS::Logs::LogGroup')).map((r) => r.Properties.LogGroupName),
      ...Object.values(resourcesOf(dev.json, 'AWS::SecretsManager::Secret')).map((r) => r.Properties.Name),
      ...Object.values(resourcesOf(dev.json, 'AWS::CloudWatch::Alarm')).map((r) => r.Properties.AlarmName),
      ...Object.values(resourcesOf(dev.json, 'AWS::Events::Rule')).map((r) => r.Properties.Name),
      ...Object.values(resourcesOf(dev.json, 'AWS::ApiGatewayV2::Api')).map((r) => r.Properties.Name),
    ];
    expect(names).toHaveLength(16);
    for (const name of names) expect(name).toMatch(/vectra-xdr-relay[-/]dev\b/);
    for (const group of Object.values(resourcesOf(dev.json, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(14);
      expect(group.DeletionPolicy).toBe('Delete');
    }
    expect(dev.stack.stackName).toBe('VectraXdrRelay-dev');
  });

  it('alarms on relay errors, throttles, API 5xx and engine errors', () => {
    const alarms = Object.values(resourcesOf(dev.json, 'AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties ?? {},
    );
    expect(alarms.map((a) => [a.AlarmName, a.Namespace, a.MetricName])).toEqual([
      ['vectra-xdr-relay-dev-relay-errors', 'AWS/Lambda', 'Errors'],
      ['vectra-xdr-relay-dev-relay-throttles', 'AWS/Lambda', 'Throttles'],
      ['vectra-xdr-relay-dev-api-5xx', 'AWS/ApiGateway', '5xx'],
      ['vectra-xdr-relay-dev-engine-errors', 'AWS/Lambda', 'Errors'],
      ['vectra-xdr-relay-dev-engine-throttles', 'AWS/Lambda', 'Throttles'],
      ['vectra-xdr-relay-dev-engine-duration', 'AWS/Lambda', 'Duration'],
      ['vectra-xdr-relay-dev-engine-failed-runs', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
    ]);
    // Duration alarms at 80% of the engine timeout (120 s).
    expect(alarms.find((a) => a.MetricName === 'Duration')?.Threshold).toBe(96_000);
    for (const a of alarms) {
      if (a.MetricName !== 'Duration') expect(a).toMatchObject({ Threshold: 1 });
      expect(a).toMatchObject({ TreatMissingData: 'notBreaching' });
      expect(a).not.toHaveProperty('AlarmActions');
    }
  });

  it('runs the engine on a schedule, one at a time, in dry run, with its own secret', () => {
    dev.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    expect(resource(dev.json, 'AWS::Lambda::Function', 'EngineFunction').Properties).toMatchObject({
      FunctionName: 'vectra-xdr-relay-dev-engine',
      ReservedConcurrentExecutions: 1,
      Timeout: 120,
    });
    expect(envOf(dev, 'EngineFunction')).toEqual({
      ENGINE_SECRET_ARN: ref(dev, 'AWS::SecretsManager::Secret', 'EngineSecret'),
      ENGINE_DRY_RUN: 'true',
      LOG_LEVEL: 'DEBUG',
      NACL_RULE_BAND: '1-99',
      RELAY_STAGE: 'dev',
    });
    const template = (
      resource(dev.json, 'AWS::SecretsManager::Secret', 'EngineSecret').Properties.GenerateSecretString as {
        SecretStringTemplate: string;
      }
    ).SecretStringTemplate;
    expect(Object.keys(JSON.parse(template))).toEqual([ENGINE_SECRET_PLACEHOLDER_KEY]);
  });

  it('grants the engine the same blocking rights and only its own secret', () => {
    const relay = statementsOfRole(dev.json, 'RelayRole');
    // The failed-runs destination adds its own SendMessage grant; everything else matches the relay.
    const engine = statementsOfRole(dev.json, 'EngineRole').filter(
      (st) => !JSON.stringify(st.Action).includes('sqs:'),
    );
    expect(engine.slice(1, -1)).toEqual(relay.slice(1, -1));
    expect(engine.at(0)).toEqual(logsStatement(dev, 'Engine'));
    expect(engine.at(-1)).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: ref(dev, 'AWS::SecretsManager::Secret', 'EngineSecret'),
    });
  });

  it('outputs the relay URL and the secret ARNs', () => {
    expect(Object.keys((dev.json.Outputs ?? {}) as object)).toEqual([
      'RelayUrl',
      'RelayVersion',
      'ApiEndpoint',
      'RelayFunctionName',
      'SecretKeyArn',
      'EngineSecretArn',
      'EngineFunctionName',
    ]);
    dev.template.hasOutput('SecretKeyArn', { Value: ref(dev, 'AWS::SecretsManager::Secret', 'SecretKey') });
  });

  it("reports the same version as the relay's /version (package.json), as an output and a tag", () => {
    dev.template.hasOutput('RelayVersion', { Value: pkg.version });
    dev.template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'version', Value: pkg.version }]),
    });
    expect(dev.template.toJSON().Description).toContain(`version ${pkg.version}`);
  });
});

describe('prod stage (rs256, custom URL, cross-account role)', () => {
  it('creates no SECRET_KEY but a module key, and uses the custom public URL as audience', () => {
    expect(count(prod, 'AWS::SecretsManager::Secret')).toBe(2); // module key + engine settings
    expect(envOf(prod, 'RelayFunction')).toEqual({
      AUTH_MODE: 'rs256',
      JWKS_ALLOWED_HOSTS:
        'visibility.amp.cisco.com,visibility.eu.amp.cisco.com,visibility.apjc.amp.cisco.com',
      RELAY_PUBLIC_URL: 'https://xdr-relay.example.com',
      RELAY_MODULE_KEY_ARN: ref(prod, 'AWS::SecretsManager::Secret', 'ModuleKey'),
      LOG_LEVEL: 'INFO',
      NACL_PROTECTED_CIDRS: '10.0.0.0/8',
      NACL_RULE_BAND: '1-99',
      RELAY_STAGE: 'prod',
      UPSTREAM_ALLOWED_CIDRS: '10.20.0.0/24',
      NODE_OPTIONS: relayNodeOptions(1024),
    });
    prod.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'vectra-xdr-relay/prod/module-key',
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    prod.template.hasOutput('RelayUrl', { Value: 'https://xdr-relay.example.com' });
  });

  it('grants the relay exactly the stage NACLs and the stage role', () => {
    expect(statementsOfRole(prod.json, 'RelayRole')).toEqual([
      logsStatement(prod, 'Relay'),
      {
        Sid: 'ChangeStageNetworkAcls',
        Effect: 'Allow',
        Action: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAclEntry'],
        Resource: [
          'arn:aws:ec2:eu-west-1:123456789012:network-acl/acl-0123456789abcdef1',
          'arn:aws:ec2:eu-west-1:123456789012:network-acl/acl-0123456789abcdef2',
        ],
      },
      { Sid: 'DescribeNetworkAcls', Effect: 'Allow', Action: 'ec2:DescribeNetworkAcls', Resource: '*' },
      {
        Sid: 'AssumeStageRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: 'arn:aws:iam::210987654321:role/vectra-xdr-relay-nacl-blocker',
      },
      {
        Sid: 'ReadOwnSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: ref(prod, 'AWS::SecretsManager::Secret', 'ModuleKey'),
      },
    ]);
  });

  it('retains logs and secrets, protects the stack and throttles the API', () => {
    for (const group of Object.values(resourcesOf(prod.json, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(365);
      expect(group.DeletionPolicy).toBe('Retain');
    }
    expect(resource(prod.json, 'AWS::SecretsManager::Secret', 'EngineSecret').DeletionPolicy).toBe('Retain');
    expect(prod.stack.terminationProtection).toBe(true);
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'vectra-xdr-relay-prod',
      MemorySize: 1024,
      ReservedConcurrentExecutions: 20,
    });
    prod.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
  });
});

describe('a stage with defaults only', () => {
  it('deploys the relay alone, rs256, with nothing but its own logs and module key', () => {
    expect(count(minimal, 'AWS::Lambda::Function')).toBe(1);
    expect(count(minimal, 'AWS::SecretsManager::Secret')).toBe(1);
    expect(count(minimal, 'AWS::Events::Rule')).toBe(0);
    expect(count(minimal, 'AWS::CloudWatch::Alarm')).toBe(3);
    expect(statementsOfRole(minimal.json, 'RelayRole')).toEqual([
      logsStatement(minimal, 'Relay'),
      {
        Sid: 'ReadOwnSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: ref(minimal, 'AWS::SecretsManager::Secret', 'ModuleKey'),
      },
    ]);
    expect(resource(minimal.json, 'AWS::Lambda::Function', 'RelayFunction').Properties).not.toHaveProperty(
      'ReservedConcurrentExecutions',
    );
    for (const group of Object.values(resourcesOf(minimal.json, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(30);
    }
  });

  it('sends alarms to the stage topic when one is set', async () => {
    const withTopic = await synthStage(assets, {
      stage: 'lab',
      stages: { lab: { alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:soc-alerts' } },
    });
    for (const alarm of Object.values(resourcesOf(withTopic.json, 'AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:soc-alerts']);
    }
  });

  it('takes account and region from the stage, else from the CLI environment', async () => {
    const pinned = await synthStage(assets, {
      stage: 'lab',
      stages: { lab: { account: '123456789012', region: 'eu-west-1' } },
    });
    expect([pinned.stack.account, pinned.stack.region]).toEqual(['123456789012', 'eu-west-1']);
    const fromCli = await synthStage(
      assets,
      { stage: 'lab', stages: { lab: {} } },
      { env: { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'us-west-2' } },
    );
    expect([fromCli.stack.account, fromCli.stack.region]).toEqual(['111122223333', 'us-west-2']);
  });
});

describe('issue 12: engine invocation, access logs, alarm topic', () => {
  it('never lets Lambda retry or queue a scheduled engine run for long, and keeps failed runs', () => {
    dev.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 900, // the 15-minute schedule period
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    dev.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'vectra-xdr-relay-dev-engine-failed-runs',
    });
  });

  it('writes JSON access logs with request id and status, without any header, kept as long as the stage says', () => {
    const stage = Object.values(resourcesOf(prod.json, 'AWS::ApiGatewayV2::Stage'))[0]?.Properties as {
      AccessLogSettings: { Format: string; DestinationArn: unknown };
    };
    const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(stage.AccessLogSettings.Format).not.toMatch(/header|authorization/i);
    prod.template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/apigateway/vectra-xdr-relay-prod',
      RetentionInDays: 365,
    });
  });

  it('sends every prod alarm to the stage topic', () => {
    const alarms = Object.values(resourcesOf(prod.json, 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms)
      expect(a.Properties?.AlarmActions).toEqual([
        'arn:aws:sns:eu-west-1:123456789012:security-operations-alarms',
      ]);
  });

  it('never grants ec2:ReplaceNetworkAclEntry', () => {
    expect(JSON.stringify(prod.json)).not.toContain('ReplaceNetworkAclEntry');
    expect(JSON.stringify(dev.json)).not.toContain('ReplaceNetworkAclEntry');
  });
});
