/**
 * One isolated stack per stage: an HTTP API in front of the relay function,
 * the HS256 key in Secrets Manager, least-privilege IAM, one log group and a
 * set of alarms per function, and (when the stage enables it) the scheduled
 * automated-response engine. Every physical name carries the stage.
 *
 * Code comes from prebuilt asset directories (`scripts/build.ts`), so synth
 * never needs Docker or network.
 */

import {
  type aws_apigatewayv2 as apigwv2,
  CfnOutput,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cwActions,
  Duration,
  aws_lambda_destinations as destinations,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sqs as sqs,
  Tags,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { HttpApi, HttpMethod, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Construct } from 'constructs';
import pkg from '../../package.json' with { type: 'json' };
import { relayNodeOptions } from './node-options.js';
import { blockingStatements } from './permissions.js';
import type { StageSettings } from './stage-config.js';

export const PROJECT = 'vectra-xdr-relay';

/** The release deployed, the same string the relay's `/version` answers (package.json). */
export const RELEASE: string = pkg.version;

/** Stack name of a stage, e.g. `VectraXdrRelay-dev`. */
export const stackName = (stage: string): string => `VectraXdrRelay-${stage}`;

/** Marker key in the engine secret until the user replaces it with real settings. */
export const ENGINE_SECRET_PLACEHOLDER_KEY = '_placeholder';

export interface RelayAssets {
  /** Directory holding the relay bundle (`index.mjs` + chunks). */
  readonly relay: string;
  /** Directory holding the engine bundle; required when the stage enables the engine. */
  readonly engine?: string;
  /** Directory holding the collect bundle; required when the stage enables the collection. */
  readonly collect?: string;
}

export interface RelayStackProps extends StackProps {
  readonly stage: string;
  readonly settings: StageSettings;
  readonly assets: RelayAssets;
  /** Lambda handler inside the asset directories. Default `index.handler`. */
  readonly handler?: string;
}

export class RelayStack extends Stack {
  readonly api: HttpApi;
  readonly relayFunction: lambda.Function;
  readonly secretKey: secretsmanager.Secret | undefined;
  readonly moduleKey: secretsmanager.Secret | undefined;
  readonly engineFunction: lambda.Function | undefined;
  readonly engineSecret: secretsmanager.Secret | undefined;
  readonly collectBucket: s3.Bucket | undefined;
  readonly collectFunction: lambda.Function | undefined;

  constructor(scope: Construct, id: string, props: RelayStackProps) {
    const { stage, settings: s } = props;
    super(scope, id, {
      description: `Cisco XDR relay for Vectra Detect with AWS network ACL blocking, version ${RELEASE} (stage ${stage})`,
      ...props,
      terminationProtection: props.terminationProtection ?? s.terminationProtection,
    });
    const prefix = `${PROJECT}-${stage}`;
    const removalPolicy = s.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const handler = props.handler ?? 'index.handler';
    Tags.of(this).add('project', PROJECT);
    Tags.of(this).add('stage', stage);
    Tags.of(this).add('version', RELEASE);
    for (const [key, value] of Object.entries(s.tags)) Tags.of(this).add(key, value);
    const alarmTopic = s.alarmTopicArn
      ? sns.Topic.fromTopicArn(this, 'AlarmTopic', s.alarmTopicArn)
      : undefined;

    // --- relay -------------------------------------------------------------
    this.api = new HttpApi(this, 'Api', {
      apiName: prefix,
      description: `Vectra Detect XDR relay (${stage})`,
      createDefaultStage: false,
    });
    const apiStage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      ...(s.apiThrottle ? { throttle: s.apiThrottle } : {}),
    });
    // Access logs: who called, when, with what answer. No header is logged (so no Authorization).
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      logGroupName: `/aws/apigateway/${prefix}`,
      retention: s.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });
    (apiStage.node.defaultChild as apigwv2.CfnStage).accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify(ACCESS_LOG_FORMAT),
    };
    const publicUrl = s.publicUrl ?? this.api.apiEndpoint;

    if (s.authMode === 'hs256') {
      this.secretKey = new secretsmanager.Secret(this, 'SecretKey', {
        secretName: `${PROJECT}/${stage}/secret-key`,
        description: `HS256 SECRET_KEY of the ${prefix} relay; sign tokens with: npm run jwt -- --secret-stdin`,
        generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
        removalPolicy,
      });
    }

    // A Cisco-signed configuration token proves only that *some* XDR module points here;
    // the module key, typed into this organisation's module form, proves it is ours.
    if (s.authMode === 'rs256') {
      this.moduleKey = new secretsmanager.Secret(this, 'ModuleKey', {
        secretName: `${PROJECT}/${stage}/module-key`,
        description: `Module key of the ${prefix} relay: put it in the XDR module's custom_relay_module_key field`,
        generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
        removalPolicy,
      });
    }

    // Settings both functions share: what the deployment (never a token) decides.
    const sharedEnv: Record<string, string> = {
      RELAY_STAGE: stage,
      NACL_RULE_BAND: s.naclRuleBand,
      LOG_LEVEL: s.logLevel,
    };
    if (s.upstreamAllowedCidrs.length) sharedEnv.UPSTREAM_ALLOWED_CIDRS = s.upstreamAllowedCidrs.join(',');
    if (s.upstreamAllowedHosts.length) sharedEnv.UPSTREAM_ALLOWED_HOSTS = s.upstreamAllowedHosts.join(',');
    const relayEnv: Record<string, string> = {
      ...sharedEnv,
      AUTH_MODE: s.authMode,
      JWKS_ALLOWED_HOSTS: s.jwksAllowedHosts.join(','),
      RELAY_PUBLIC_URL: publicUrl,
    };
    if (s.jwtRequireExp) relayEnv.JWT_REQUIRE_EXP = 'true';
    if (this.secretKey) relayEnv.SECRET_KEY_ARN = this.secretKey.secretArn;
    if (this.moduleKey) relayEnv.RELAY_MODULE_KEY_ARN = this.moduleKey.secretArn;
    if (s.naclProtectedCidrs.length) relayEnv.NACL_PROTECTED_CIDRS = s.naclProtectedCidrs.join(',');
    if (s.requestDeadlineMs !== undefined) relayEnv.REQUEST_DEADLINE_MS = String(s.requestDeadlineMs);
    relayEnv.NODE_OPTIONS = relayNodeOptions(s.memoryMb);

    // Carbon Black live-response results: private, encrypted, TLS-only, expiring.
    if (s.collection.enabled) {
      this.collectBucket = new s3.Bucket(this, 'CollectBucket', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: false,
        lifecycleRules: [
          { id: 'expire-collections', expiration: Duration.days(s.collection.retentionDays) },
          { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ],
        removalPolicy,
      });
      Object.assign(relayEnv, collectEnv(this.collectBucket, s));
    }

    this.relayFunction = this.createFunction('Relay', {
      functionName: prefix,
      description: `Vectra Detect XDR relay (${stage})`,
      assetDir: props.assets.relay,
      handler,
      memorySize: s.memoryMb,
      timeout: Duration.seconds(s.timeoutSeconds),
      reservedConcurrentExecutions: s.reservedConcurrency,
      environment: relayEnv,
      secrets: [this.secretKey, this.moduleKey].filter((x): x is secretsmanager.Secret => x !== undefined),
      settings: s,
      removalPolicy,
    });
    // The relay starts jobs and reads their state: job records and device pointers only, never results.
    if (this.collectBucket) {
      this.relayFunction.addToRolePolicy(
        objectStatement(
          'StartCollections',
          this.collectBucket,
          ['s3:GetObject', 's3:PutObject'],
          ['jobs/*', 'active/*', 'devices/*'],
        ),
      );
    }

    this.api.addRoutes({
      path: '/{proxy+}',
      methods: [HttpMethod.ANY],
      integration: new HttpLambdaIntegration('RelayIntegration', this.relayFunction, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      }),
    });

    const alarm = (
      id: string,
      name: string,
      metric: cloudwatch.IMetric,
      description: string,
      threshold = 1,
    ): void => {
      const a = new cloudwatch.Alarm(this, id, {
        alarmName: `${prefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (alarmTopic) a.addAlarmAction(new cwActions.SnsAction(alarmTopic));
    };
    const period = Duration.minutes(5);
    alarm(
      'RelayErrorsAlarm',
      'relay-errors',
      this.relayFunction.metricErrors({ period, statistic: 'Sum' }),
      'The relay function threw (unhandled errors; relay-level errors are answered with HTTP 200).',
    );
    alarm(
      'RelayThrottlesAlarm',
      'relay-throttles',
      this.relayFunction.metricThrottles({ period, statistic: 'Sum' }),
      'The relay function was throttled (reserved or account concurrency exhausted).',
    );
    alarm(
      'Api5xxAlarm',
      'api-5xx',
      this.api.metricServerError({ period, statistic: 'Sum' }),
      'The HTTP API answered 5xx (function crash, timeout or throttling).',
    );

    new CfnOutput(this, 'RelayUrl', {
      value: publicUrl,
      description: 'Relay URL: the module URL in Cisco XDR (and the expected token audience)',
    });
    new CfnOutput(this, 'RelayVersion', {
      value: RELEASE,
      description: 'Relay version deployed (the same as POST /version answers)',
    });
    new CfnOutput(this, 'ApiEndpoint', {
      value: this.api.apiEndpoint,
      description: 'Default HTTP API endpoint',
    });
    new CfnOutput(this, 'RelayFunctionName', { value: this.relayFunction.functionName });
    if (this.secretKey) {
      new CfnOutput(this, 'SecretKeyArn', {
        value: this.secretKey.secretArn,
        description:
          'HS256 SECRET_KEY. Sign a token: aws secretsmanager get-secret-value --secret-id <arn> --query SecretString --output text | npm run jwt -- --secret-stdin',
      });
    }

    if (this.moduleKey) {
      new CfnOutput(this, 'ModuleKeyArn', {
        value: this.moduleKey.secretArn,
        description:
          'Module key: copy its value into the XDR module form (custom_relay_module_key); tokens without it are refused',
      });
    }

    // --- automated-response engine -----------------------------------------
    if (s.engine.enabled) {
      if (!props.assets.engine)
        throw new Error(`Stage ${stage} enables the engine but no engine asset was given`);
      this.engineSecret = new secretsmanager.Secret(this, 'EngineSecret', {
        secretName: `${PROJECT}/${stage}/engine`,
        description: `Settings of the ${prefix} automated-response engine (JSON of token claims); replace the placeholder`,
        // A generated placeholder, so no value ever appears in the template.
        generateSecretString: {
          secretStringTemplate: JSON.stringify({
            [ENGINE_SECRET_PLACEHOLDER_KEY]: 'replace this JSON with the engine settings (vectra_url, …)',
          }),
          generateStringKey: '_nonce',
          passwordLength: 16,
          excludePunctuation: true,
        },
        removalPolicy,
      });
      const engineEnv: Record<string, string> = {
        ...sharedEnv,
        ENGINE_SECRET_ARN: this.engineSecret.secretArn,
        ENGINE_DRY_RUN: String(s.engine.dryRun),
      };
      if (s.engine.policy !== undefined) engineEnv.ENGINE_POLICY = JSON.stringify(s.engine.policy);
      if (s.naclProtectedCidrs.length) engineEnv.NACL_PROTECTED_CIDRS = s.naclProtectedCidrs.join(',');
      this.engineFunction = this.createFunction('Engine', {
        functionName: `${prefix}-engine`,
        description: `Vectra Detect automated-response engine (${stage})`,
        assetDir: props.assets.engine,
        handler,
        memorySize: s.engine.memoryMb,
        timeout: Duration.seconds(s.engine.timeoutSeconds),
        // One run at a time: a late run is throttled instead of overlapping.
        reservedConcurrentExecutions: 1,
        environment: engineEnv,
        secrets: [this.engineSecret],
        settings: s,
        removalPolicy,
      });
      // The schedule invokes asynchronously: without this, Lambda retries a failed run twice and
      // keeps throttled events for 6 hours, so late runs would pile up behind concurrency 1.
      const failedRuns = new sqs.Queue(this, 'EngineFailedRuns', {
        queueName: `${prefix}-engine-failed-runs`,
        retentionPeriod: Duration.days(14),
        enforceSSL: true,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        removalPolicy,
      });
      this.engineFunction.configureAsyncInvoke({
        retryAttempts: 0,
        maxEventAge: Duration.seconds(Math.min(21_600, Math.max(60, s.engine.scheduleMinutes * 60))),
        onFailure: new destinations.SqsDestination(failedRuns),
      });
      new events.Rule(this, 'EngineSchedule', {
        ruleName: `${prefix}-engine-schedule`,
        description: `Runs the ${prefix} automated-response engine every ${s.engine.scheduleMinutes} min`,
        schedule: events.Schedule.rate(Duration.minutes(s.engine.scheduleMinutes)),
        targets: [new targets.LambdaFunction(this.engineFunction, { retryAttempts: 0 })],
      });
      alarm(
        'EngineErrorsAlarm',
        'engine-errors',
        this.engineFunction.metricErrors({ period: Duration.minutes(Math.max(5, s.engine.scheduleMinutes)) }),
        'An automated-response engine run failed.',
      );
      alarm(
        'EngineThrottlesAlarm',
        'engine-throttles',
        this.engineFunction.metricThrottles({
          period: Duration.minutes(Math.max(5, s.engine.scheduleMinutes)),
          statistic: 'Sum',
        }),
        'An engine run was throttled: the previous run was still going (runs must not overlap).',
      );
      alarm(
        'EngineDurationAlarm',
        'engine-duration',
        this.engineFunction.metricDuration({
          period: Duration.minutes(Math.max(5, s.engine.scheduleMinutes)),
          statistic: 'Maximum',
        }),
        'An engine run took over 80% of its timeout: it is close to being cut off.',
        s.engine.timeoutSeconds * 1000 * 0.8,
      );
      alarm(
        'EngineFailedRunsAlarm',
        'engine-failed-runs',
        failedRuns.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        'A scheduled engine event failed or expired and was sent to the failed-runs queue.',
      );
      new CfnOutput(this, 'EngineSecretArn', {
        value: this.engineSecret.secretArn,
        description: 'Engine settings secret: put the JSON claims here (aws secretsmanager put-secret-value)',
      });
      new CfnOutput(this, 'EngineFunctionName', { value: this.engineFunction.functionName });
    }

    // --- Carbon Black live-response collection --------------------------------
    if (s.collection.enabled && this.collectBucket && this.engineSecret) {
      if (!props.assets.collect)
        throw new Error(`Stage ${stage} enables the collection but no collect asset was given`);
      this.collectFunction = this.createFunction('Collect', {
        functionName: `${prefix}-collect`,
        description: `Carbon Black live-response collection jobs (${stage})`,
        assetDir: props.assets.collect,
        handler,
        memorySize: 512,
        timeout: Duration.seconds(55),
        // One run at a time; each run advances every job one step.
        reservedConcurrentExecutions: 1,
        environment: {
          ENGINE_SECRET_ARN: this.engineSecret.secretArn,
          LOG_LEVEL: s.logLevel,
          ...collectEnv(this.collectBucket, s),
        },
        secrets: [this.engineSecret],
        settings: s,
        removalPolicy,
        blocking: false,
      });
      const bucket = this.collectBucket;
      this.collectFunction.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ListActiveCollections',
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': ['active/*'] } },
        }),
      );
      this.collectFunction.addToRolePolicy(
        objectStatement(
          'AdvanceCollections',
          bucket,
          ['s3:GetObject', 's3:PutObject'],
          ['jobs/*', 'results/*'],
        ),
      );
      this.collectFunction.addToRolePolicy(
        objectStatement('EndCollections', bucket, ['s3:DeleteObject'], ['active/*']),
      );
      new events.Rule(this, 'CollectSchedule', {
        ruleName: `${prefix}-collect-schedule`,
        description: `Advances the ${prefix} Carbon Black collection jobs every minute`,
        schedule: events.Schedule.rate(Duration.minutes(1)),
        targets: [new targets.LambdaFunction(this.collectFunction, { retryAttempts: 0 })],
      });
      alarm(
        'CollectErrorsAlarm',
        'collect-errors',
        this.collectFunction.metricErrors({ period }),
        'A Carbon Black collection run failed.',
      );
      new CfnOutput(this, 'CollectBucketName', {
        value: bucket.bucketName,
        description: 'Carbon Black live-response results (keys are named in the Vectra note of each host)',
      });
    }
  }

  /** A function with its own role (no managed policies), log group and least-privilege grants. */
  private createFunction(
    id: string,
    o: {
      functionName: string;
      description: string;
      assetDir: string;
      handler: string;
      memorySize: number;
      timeout: Duration;
      reservedConcurrentExecutions: number | undefined;
      environment: Record<string, string>;
      secrets: readonly secretsmanager.ISecret[];
      settings: StageSettings;
      removalPolicy: RemovalPolicy;
      /** Grant the NACL blocking rights (default true; the collect function blocks nothing). */
      blocking?: boolean;
    },
  ): lambda.Function {
    const logGroup = new logs.LogGroup(this, `${id}LogGroup`, {
      logGroupName: `/aws/lambda/${o.functionName}`,
      retention: o.settings.logRetentionDays as logs.RetentionDays,
      removalPolicy: o.removalPolicy,
    });
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${o.functionName}`,
    });
    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
      ...(o.blocking === false ? [] : blockingStatements(o.settings)),
    ];
    if (o.secrets.length) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReadOwnSecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: o.secrets.map((secret) => secret.secretArn),
        }),
      );
    }
    for (const statement of statements) role.addToPolicy(statement);

    const fn = new lambda.Function(this, `${id}Function`, {
      functionName: o.functionName,
      description: o.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(o.assetDir),
      handler: o.handler,
      memorySize: o.memorySize,
      timeout: o.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // With JSON logs Lambda filters by level itself (default INFO); align it with LOG_LEVEL.
      applicationLogLevelV2: APPLICATION_LOG_LEVEL[o.settings.logLevel],
      environment: o.environment,
      ...(o.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: o.reservedConcurrentExecutions }
        : {}),
    });
    // The role's policy must exist before the function can write logs or read secrets.
    fn.node.addDependency(role);
    return fn;
  }
}

/** HTTP API access log line: request id, caller, route, status, latency; never a header. */
const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  method: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
};

const APPLICATION_LOG_LEVEL: Readonly<Record<StageSettings['logLevel'], lambda.ApplicationLogLevel>> = {
  DEBUG: lambda.ApplicationLogLevel.DEBUG,
  INFO: lambda.ApplicationLogLevel.INFO,
  WARN: lambda.ApplicationLogLevel.WARN,
  ERROR: lambda.ApplicationLogLevel.ERROR,
  SILENT: lambda.ApplicationLogLevel.FATAL,
};

/** The collection's deployment settings, for the relay and the collect function alike. */
function collectEnv(bucket: s3.IBucket, s: StageSettings): Record<string, string> {
  return {
    COLLECT_BUCKET: bucket.bucketName,
    CARBON_BLACK_COLLECT_TIMEOUT_S: String(s.collection.timeoutSeconds),
    ...(s.collection.files.length ? { CARBON_BLACK_COLLECT_FILES: s.collection.files.join(';') } : {}),
  };
}

/** Object rights on some key prefixes of a bucket, nothing else. */
function objectStatement(sid: string, bucket: s3.IBucket, actions: string[], prefixes: string[]) {
  return new iam.PolicyStatement({ sid, actions, resources: prefixes.map((p) => bucket.arnForObjects(p)) });
}

export { blockingStatements } from './permissions.js';
