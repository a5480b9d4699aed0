/**
 * Test harness: a fresh fake EC2 endpoint, the real SDK pointed at it through
 * the client factory's override hook (no env mutation), and a parsed config.
 * Static credentials come from vitest.config.ts's env, so nothing probes IMDS.
 */

import type { BlockClient } from '../../../src/kernel/block-client.js';
import type { RelayConfig } from '../../../src/kernel/config.js';
import type { Claims, RequestContext } from '../../../src/kernel/context.js';
import type { VectraDetection, VectraHost } from '../../../src/kernel/model.js';
import { type FakeEc2, type FakeEc2Options, startFakeEc2 } from '../../../src/sandbox/ec2/index.js';
import type { NaclConfig } from '../../../src/vendors/aws-nacl/config.js';
import {
  type AwsClientOverrides,
  awsNaclClient,
  parseNaclConfig,
  setAwsClientOverrides,
} from '../../../src/vendors/aws-nacl/index.js';
import { makeContext } from '../../helpers/context.js';
import { makeHost } from '../../helpers/objects.js';

/** The NACL client with its block answers as plain id lists (it never answers pending). */
export type ListClient = Omit<BlockClient, 'blockHost' | 'blockDetection'> & {
  blockHost(host: VectraHost): Promise<string[]>;
  blockDetection(detection: VectraDetection): Promise<string[]>;
};

export function listClient(c: BlockClient): ListClient {
  return {
    ...c,
    blockHost: async (host) => [...(await c.blockHost(host)).inForce],
    blockDetection: async (d) => [...(await c.blockDetection(d)).inForce],
  };
}

export interface Harness {
  fake: FakeEc2;
  naclId: string;
  claims: Claims;
  cfg: NaclConfig;
  ctx: RequestContext;
  client: ListClient;
}

export async function startHarness(
  opts: FakeEc2Options & {
    claims?: Record<string, string>;
    config?: Partial<RelayConfig>;
    overrides?: AwsClientOverrides['ec2'];
  } = {},
): Promise<Harness> {
  const fake = await startFakeEc2(opts);
  setAwsClientOverrides({ ec2: { endpoint: fake.url, ...opts.overrides }, sts: { endpoint: fake.url } });
  const claims: Claims = {
    block_clients: 'aws_nacl',
    aws_region: 'eu-west-1',
    aws_nacl_ids: fake.naclIds.join(','),
    ...opts.claims,
  };
  const ctx = makeContext({ claims, config: opts.config ?? {} });
  const cfg = parseNaclConfig(claims, ctx.config);
  return {
    fake,
    naclId: fake.naclIds[0] as string,
    claims,
    cfg,
    ctx,
    client: listClient(awsNaclClient.create(cfg, ctx)),
  };
}

export async function stopHarness(h: Harness | undefined): Promise<void> {
  setAwsClientOverrides();
  await h?.fake.close();
}

/** Entries of a NACL that the blocker could own: deny, all protocols, inside 1-99. */
export const denies = (h: Harness, naclId = h.naclId) =>
  h.fake
    .entries(naclId)
    .filter((e) => e.ruleAction === 'deny' && e.ruleNumber <= 99 && e.protocol === '-1')
    .map((e) => `${e.egress ? 'egress' : 'ingress'} ${e.cidrBlock ?? e.ipv6CidrBlock}`)
    .sort();

export const actions = (h: Harness) => h.fake.calls.map((c) => c.action);

const tagged = { allTags: [], tags: [], clientRestrictions: [] };

export function host(ip: string | null, blockedElements: Record<string, string[]> = {}): VectraHost {
  return makeHost({ ip, blockedElements });
}

export function detection(dstIps: string[], blockedElements: Record<string, string[]> = {}): VectraDetection {
  return {
    ...tagged,
    kind: 'detection',
    id: 11,
    hostId: 7,
    accountId: null,
    category: 'COMMAND & CONTROL',
    detectionType: 'Hidden HTTPS Tunnel',
    src: '10.0.0.7',
    dstIps,
    dstDomains: [],
    state: 'active',
    threat: 60,
    certainty: 70,
    isTriaged: false,
    firstTimestamp: null,
    lastTimestamp: null,
    srcHostName: 'ws-7',
    srcAccountName: null,
    blockedElements,
    pendingElements: {},
  };
}
