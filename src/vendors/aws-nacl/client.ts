/**
 * The only module that talks to AWS. It loads `@aws-sdk/client-ec2` lazily
 * (paths that never touch NACLs do not pay for it at cold start), keeps one
 * EC2Client per (region, role) for the life of the Lambda container, and turns
 * every SDK failure into a `RelayError` — except the few answers the blocker
 * decides on (already exists, quota, entry gone, dry-run allowed), which come
 * back as plain results.
 *
 * The endpoint is never taken from a token. Tests and the sandbox point the SDK
 * elsewhere with its own `AWS_ENDPOINT_URL_EC2` variable or, to stay hermetic,
 * with `setAwsClientOverrides()` — the one place an override enters.
 */
import type { EC2Client, EC2ClientConfig, NetworkAclEntry } from '@aws-sdk/client-ec2';
import type { STSClientConfig } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';
import { type CacheRegistry, processCaches } from '../../kernel/caches.js';
import { type Cidr, type Family, parseCidr } from '../../kernel/cidr.js';
import { RelayError } from '../../kernel/errors.js';
import type { NaclConfig } from './config.js';
import { errorCode, toRelayError } from './errors.js';

/** One entry as the blocker reasons about it. */
export interface NaclEntry {
  readonly ruleNumber: number;
  readonly egress: boolean;
  readonly protocol: string;
  readonly action: string;
  /** Parsed CIDR, undefined when AWS sent something we cannot parse (never treated as ours). */
  readonly cidr: Cidr | undefined;
  readonly family: Family;
  /** Port range or ICMP details set: a narrower rule than "all traffic". */
  readonly narrowed: boolean;
}

export interface NaclView {
  readonly id: string;
  readonly entries: readonly NaclEntry[];
}

export type CreateResult = 'created' | 'exists' | 'limit' | 'dry-run';
export type DeleteResult = 'deleted' | 'gone' | 'dry-run';

export interface NaclApi {
  /** Named in "not found" messages. */
  readonly region?: string;
  /** The runtime's caches: EC2 clients, and the blocker's rule-number reservations. */
  readonly caches?: CacheRegistry;
  describe(ids: readonly string[], signal: AbortSignal): Promise<Map<string, NaclView>>;
  createDeny(
    naclId: string,
    ruleNumber: number,
    egress: boolean,
    cidr: Cidr,
    opts: { dryRun: boolean; signal: AbortSignal },
  ): Promise<CreateResult>;
  deleteEntry(
    naclId: string,
    ruleNumber: number,
    egress: boolean,
    opts: { dryRun: boolean; signal: AbortSignal },
  ): Promise<DeleteResult>;
}

export interface AwsClientOverrides {
  readonly ec2?: Partial<EC2ClientConfig>;
  readonly sts?: Partial<STSClientConfig>;
}

/**
 * EC2 calls in flight per container, across all NACLs and requests. EC2 meters
 * mutating calls with a small per-account token bucket shared with every other
 * tool; 8 keeps a 20-address block fast (40 creates in ~5 round trips) without
 * emptying the bucket in one burst. Throttling that still happens is retried by
 * the SDK (standard mode), never by hand.
 */
export const MAX_IN_FLIGHT = 8;
const slots = pLimit(MAX_IN_FLIGHT);

let overrides: AwsClientOverrides = {};
/**
 * One EC2 client per (region, role, external id): tokens choose these, so the
 * cache is bounded and an evicted client is destroyed (its sockets closed).
 */
export const MAX_EC2_CLIENTS = 32;
const clientsOf = (caches: CacheRegistry) =>
  caches.cache<string, Promise<EC2Client>>('ec2-clients', {
    maxEntries: MAX_EC2_CLIENTS,
    maxAgeMs: 6 * 3600_000,
    onEvict: (client) => {
      client.then((c) => c.destroy()).catch(() => undefined);
    },
  });
/** Cached EC2 clients right now in a registry (tests). */
export const cachedClientCount = (caches: CacheRegistry = processCaches): number => clientsOf(caches).size;
/** Bumped by each override change, so no registry hands out a client built with old overrides. */
let overridesGeneration = 0;
let sdk: Promise<typeof import('@aws-sdk/client-ec2')> | undefined;
const loadSdk = () => {
  sdk ??= import('@aws-sdk/client-ec2');
  return sdk;
};

/** Test/sandbox hook: extra SDK settings (endpoint, retry strategy…); drops cached clients. */
export function setAwsClientOverrides(next: AwsClientOverrides = {}): void {
  overrides = next;
  overridesGeneration += 1;
  clientsOf(processCaches).clear();
}

/** Refresh assumed-role credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

async function makeClient(cfg: NaclConfig): Promise<EC2Client> {
  const { EC2Client } = await loadSdk();
  const role = cfg.role;
  return new EC2Client({
    region: cfg.region,
    // Standard mode: 3 attempts, full-jitter backoff (500 ms base for throttling). Adaptive mode was
    // measured to stall a low-traffic client for seconds after a single RequestLimitExceeded (its
    // rate estimate starts near zero), which a Lambda with an 8 s upstream budget cannot afford.
    retryMode: 'standard',
    maxAttempts: 3,
    requestHandler: { requestTimeout: cfg.timeoutMs, connectionTimeout: Math.min(cfg.timeoutMs, 3000) },
    ...(role
      ? {
          credentials: assumeRoleProvider(
            cfg.region,
            role.arn,
            role.externalId,
            cfg.timeoutMs,
            cfg.sessionName,
          ),
        }
      : {}),
    ...overrides.ec2,
  });
}

/** STS AssumeRole credentials, cached until shortly before they expire; one refresh at a time. */
function assumeRoleProvider(
  region: string,
  roleArn: string,
  externalId: string | undefined,
  timeoutMs: number,
  sessionName: string,
) {
  type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date };
  let current: Creds | undefined;
  let pending: Promise<Creds> | undefined;
  const refresh = async (): Promise<Creds> => {
    const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const sts = new STSClient({
      region,
      maxAttempts: 3,
      requestHandler: { requestTimeout: timeoutMs },
      ...overrides.sts,
    });
    try {
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          // CloudTrail in the target account shows this: which stage and module changed the NACL.
          RoleSessionName: sessionName,
          DurationSeconds: 3600,
          ...(externalId ? { ExternalId: externalId } : {}),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new RelayError('unknown', 'AWS STS AssumeRole returned no credentials.');
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    } catch (err) {
      throw toRelayError(err, { region, action: 'AssumeRole', roleArn });
    } finally {
      sts.destroy();
    }
  };
  return async (): Promise<Creds> => {
    if (current && current.expiration.getTime() - REFRESH_MARGIN_MS > Date.now()) return current;
    pending ??= refresh().finally(() => {
      pending = undefined;
    });
    current = await pending;
    return current;
  };
}

function getClient(cfg: NaclConfig, caches: CacheRegistry): Promise<EC2Client> {
  const clients = clientsOf(caches);
  const key = [
    overridesGeneration,
    cfg.region,
    cfg.role?.arn ?? '',
    cfg.role?.externalId ?? '',
    cfg.timeoutMs,
    cfg.sessionName,
  ].join('|');
  let client = clients.get(key);
  if (!client) {
    client = makeClient(cfg);
    // A failed construction must not poison the cache for the container's lifetime.
    client.catch(() => {
      if (clients.get(key) === client) clients.delete(key);
    });
    clients.set(key, client);
  }
  return client;
}

/** The EC2 calls the blocker needs, bound to one token's region and role, in a runtime's caches. */
export function naclApi(cfg: NaclConfig, caches: CacheRegistry = processCaches): NaclApi {
  const call = async <T>(
    action: string,
    naclId: string | undefined,
    run: (c: EC2Client, s: typeof import('@aws-sdk/client-ec2')) => Promise<T>,
  ) => {
    try {
      const [client, s] = await Promise.all([getClient(cfg, caches), loadSdk()]);
      return await slots(() => run(client, s));
    } catch (err) {
      throw toRelayError(err, { region: cfg.region, action, naclId, roleArn: cfg.role?.arn });
    }
  };
  return {
    region: cfg.region,
    caches,
    describe: (ids, signal) =>
      call('DescribeNetworkAcls', ids.join(', '), async (c, s) => {
        const views = new Map<string, NaclView>();
        let token: string | undefined;
        do {
          // The `network-acl-id` filter, not NetworkAclIds: with ids, one unknown NACL fails the
          // whole call (InvalidNetworkAclID.NotFound); a filter simply leaves it out, so each
          // caller reports that NACL alone (EC2 filters never fail on values that match nothing).
          const out = await c.send(
            new s.DescribeNetworkAclsCommand({
              Filters: [{ Name: 'network-acl-id', Values: [...ids] }],
              NextToken: token,
            }),
            { abortSignal: signal },
          );
          for (const n of out.NetworkAcls ?? []) {
            if (n.NetworkAclId && ids.includes(n.NetworkAclId))
              views.set(n.NetworkAclId, { id: n.NetworkAclId, entries: (n.Entries ?? []).map(toEntry) });
          }
          token = out.NextToken;
        } while (token);
        return views;
      }),
    createDeny: (naclId, ruleNumber, egress, cidr, { dryRun, signal }) =>
      call('CreateNetworkAclEntry', naclId, async (c, s) => {
        const input = {
          NetworkAclId: naclId,
          RuleNumber: ruleNumber,
          Egress: egress,
          Protocol: '-1',
          RuleAction: 'deny' as const,
          ...(cidr.family === 4 ? { CidrBlock: cidr.text } : { Ipv6CidrBlock: cidr.text }),
          DryRun: dryRun,
        };
        try {
          await c.send(new s.CreateNetworkAclEntryCommand(input), { abortSignal: signal });
          return 'created';
        } catch (err) {
          const code = errorCode(err);
          if (code === 'NetworkAclEntryAlreadyExists') return 'exists';
          if (code === 'NetworkAclEntryLimitExceeded') return 'limit';
          if (code === 'DryRunOperation') return 'dry-run';
          throw err;
        }
      }),
    deleteEntry: (naclId, ruleNumber, egress, { dryRun, signal }) =>
      call('DeleteNetworkAclEntry', naclId, async (c, s) => {
        try {
          const cmd = new s.DeleteNetworkAclEntryCommand({
            NetworkAclId: naclId,
            RuleNumber: ruleNumber,
            Egress: egress,
            DryRun: dryRun,
          });
          await c.send(cmd, { abortSignal: signal });
          return 'deleted';
        } catch (err) {
          const code = errorCode(err);
          if (code === 'InvalidNetworkAclEntry.NotFound') return 'gone';
          if (code === 'DryRunOperation') return 'dry-run';
          throw err;
        }
      }),
  };
}

function toEntry(e: NetworkAclEntry): NaclEntry {
  const raw = e.Ipv6CidrBlock ?? e.CidrBlock ?? '';
  return {
    ruleNumber: e.RuleNumber ?? 0,
    egress: e.Egress === true,
    protocol: e.Protocol ?? '',
    action: e.RuleAction ?? '',
    cidr: parseCidr(raw),
    family: e.Ipv6CidrBlock !== undefined ? 6 : 4,
    narrowed: e.PortRange !== undefined || e.IcmpTypeCode !== undefined,
  };
}
