/**
 * Test harness for engine scenarios: a fake brain on loopback, the real
 * `VectraClient` behind the engine's port, the registry's block clients, and
 * a capturing logger so audit and summary records can be asserted.
 */

import { type EngineReport, parsePolicy, runEngine, type StaticIpStore } from '../../src/engine/index.js';
import { memoryStaticIpStore } from '../../src/engine/static-ips.js';
import type { BlockClient } from '../../src/kernel/block-client.js';
import type { Logger } from '../../src/kernel/logger.js';
import { type FakeEc2, startFakeEc2 } from '../../src/sandbox/ec2/index.js';
import { type FakeBrain, startFakeBrain } from '../../src/sandbox/vectra-brain/index.js';
import { setAwsClientOverrides } from '../../src/vendors/aws-nacl/index.js';
import { createBlockClients } from '../../src/vendors/block-clients.js';
import { createTestClient } from '../../src/vendors/test-client/actions.js';
import { elementIdFor } from '../../src/vendors/test-client/client.js';
import { VectraClient } from '../../src/vendors/vectra/client.js';
import { parseVectraConfig } from '../../src/vendors/vectra/config.js';
import { vectraPort } from '../../src/vendors/vectra/var-port.js';
import { makeContext } from '../helpers/context.js';

export interface LogRecord {
  level: string;
  message: string;
  extra: Record<string, unknown>;
}

/** A Logger stand-in that keeps every record (the engine only calls these four methods). */
export function captureLogger(): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at =
    (level: string) =>
    (message: string, extra: Record<string, unknown> = {}) =>
      records.push({ level, message, extra });
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log: log as unknown as Logger, records };
}

export interface RunOptions {
  dryRun?: boolean;
  clients?: BlockClient[];
  now?: () => Date;
  staticIps?: StaticIpStore;
  claims?: Record<string, string>;
  /** Page size of the engine's list queries (small values reach the client's page cap). */
  pageSize?: number;
}

export interface Harness {
  brain: FakeBrain;
  claims: Record<string, string>;
  records: LogRecord[];
  log: Logger;
  run(policy?: Record<string, unknown>, opts?: RunOptions): Promise<EngineReport>;
  client(claims?: Record<string, string>): VectraClient;
  tags(kind: 'host' | 'account' | 'detection', id: number): string[];
  /** Edits tags as an analyst would in the UI. */
  setTags(kind: 'host' | 'account' | 'detection', id: number, tags: string[]): void;
  notes(kind: 'host' | 'account' | 'detection', id: number): string[];
  writes(): number;
  close(): Promise<void>;
}

/** `VAR ID:Test Client:<stable id>` for an object. */
export const testClientTag = (kind: string, id: number): string =>
  `VAR ID:Test Client:${elementIdFor(kind, id)}`;

export async function startHarness(apiVersion: 'v2.5' | 'v3' = 'v2.5'): Promise<Harness> {
  const brain = await startFakeBrain();
  const base = { vectra_url: brain.url, vectra_api_version: apiVersion, block_clients: 'test_client' };
  const claims: Record<string, string> =
    apiVersion === 'v3'
      ? { ...base, vectra_client_id: 'relay-client', vectra_client_secret: 'relay-secret' }
      : { ...base, vectra_token: brain.apiToken };
  const { log, records } = captureLogger();
  const client = (over: Record<string, string> = claims) => {
    const ctx = makeContext({ claims: over, log });
    const cfg = parseVectraConfig(over, ctx.config);
    if (!cfg) throw new Error('no vectra config');
    return new VectraClient(cfg, ctx);
  };
  const statics = memoryStaticIpStore();
  const raw = (kind: string, id: number) => {
    const o = brain.state.collection(kind)?.get(id);
    if (!o) throw new Error(`no ${kind} ${id}`);
    return o;
  };
  return {
    brain,
    claims,
    records,
    log,
    client,
    run(policy = {}, opts = {}) {
      const c = client(opts.claims ?? claims);
      return runEngine({
        port: vectraPort(c, opts.pageSize === undefined ? {} : { pageSize: opts.pageSize }),
        clients: opts.clients ?? createBlockClients(c.ctx),
        policy: parsePolicy(policy),
        staticIps: opts.staticIps ?? statics,
        log,
        dryRun: opts.dryRun ?? false,
        ...(opts.now ? { now: opts.now } : {}),
      });
    },
    tags: (kind, id) => [...(raw(kind, id).tags as string[])],
    setTags: (kind, id, tags) => {
      raw(kind, id).tags = [...tags];
    },
    notes: (kind, id) => (brain.state.notes.get(`${kind}:${id}`) ?? []).map((n) => n.note),
    writes: () => brain.requests.filter((r) => r.method !== 'GET' && !r.path.includes('oauth2')).length,
    close: () => brain.close(),
  };
}

/** A fake EC2 endpoint the NACL client talks to, and the claims of an aws_nacl module on its default NACL. */
export interface NaclFixture {
  readonly ec2: FakeEc2;
  readonly acl: string;
  readonly claims: Record<string, string>;
  /** Deny entries (user rules) of a NACL, by CIDR, sorted. */
  denies(naclId?: string): (string | undefined)[];
  close(): Promise<void>;
}

export async function startNacl(h: Harness, blockClients = 'aws_nacl'): Promise<NaclFixture> {
  const ec2 = await startFakeEc2();
  setAwsClientOverrides({ ec2: { endpoint: ec2.url }, sts: { endpoint: ec2.url } });
  const acl = ec2.naclIds[0] as string;
  return {
    ec2,
    acl,
    claims: {
      ...h.claims,
      block_clients: blockClients,
      aws_region: 'us-east-1',
      aws_nacl_ids: acl,
      aws_nacl_direction: 'egress',
    },
    denies: (naclId = acl) =>
      ec2
        .entries(naclId)
        .filter((e) => e.ruleAction === 'deny' && e.ruleNumber <= 32766)
        .map((e) => e.cidrBlock)
        .sort(),
    close: async () => {
      setAwsClientOverrides();
      await ec2.close();
    },
  };
}

/** The test client, counting host block calls. */
export function countingClient(): BlockClient & { calls: number } {
  const inner = createTestClient();
  const c = {
    ...inner,
    calls: 0,
    blockHost: async (host: Parameters<BlockClient['blockHost']>[0]) => {
      c.calls++;
      return inner.blockHost(host);
    },
  };
  return c;
}
