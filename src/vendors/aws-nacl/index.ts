/**
 * AWS VPC network ACL blocking, exposed twice:
 *
 * - `awsNaclClient`: a VAR-style block client (`block_clients` contains
 *   `aws_nacl`). Hosts are denied by their current IP, detections by their
 *   external destination IPs, static lists as given. Element ids are
 *   `<naclId>/<canonical cidr>` under the display name `AWS NACL Client`.
 * - `awsNaclVendor`: `/respond/observables` + `/respond/trigger` on `ip` and
 *   `ipv6` observables, and health.
 *
 * See README.md for the AWS-side setup (IAM, rule band, quota).
 */
import { declareBlockClient, defineBlockClient, type StaticElement } from '../../kernel/block-client.js';
import { parseCidr } from '../../kernel/cidr.js';
import type { Claims } from '../../kernel/context.js';
import type { VendorModule } from '../../kernel/vendor.js';
import { health, respond, trigger } from './actions.js';
import { blockAll, blockIdsOrThrow, unblockAll, unblockIds, unblockIdsOrThrow } from './bulk.js';
import {
  isEnabled,
  NACL_FIELDS,
  type NaclConfig,
  naclConfigFrom,
  parseNaclConfig,
  VENDOR_ID,
} from './config.js';
import { AWS_NACL_CLIENT_NAME, parseElementId, SUPPORTED_TYPES } from './ids.js';

export { type AwsClientOverrides, setAwsClientOverrides } from './client.js';
export { type NaclConfig, parseNaclConfig } from './config.js';
export { AWS_NACL_CLIENT_NAME, DENY_ACTION, REMOVE_DENY_ACTION } from './ids.js';

export const awsNaclVendor: VendorModule<NaclConfig> = {
  id: VENDOR_ID,
  title: 'AWS Network ACL',
  supportedTypes: SUPPORTED_TYPES,
  configure: (claims: Claims, config) => (isEnabled(claims) ? parseNaclConfig(claims, config) : undefined),
  health,
  respond,
  ownsAction: (actionId) => actionId.startsWith(`${VENDOR_ID}-`),
  trigger,
};

/** Element ids as `{ ip, id }` pairs (the IP is the canonical CIDR the deny holds). */
const statics = (ids: readonly string[]): StaticElement[] =>
  ids.flatMap((id) => {
    const t = parseElementId(id);
    return t ? [{ ip: t.cidr.text, id }] : [];
  });

const CAPABILITIES = ['host', 'detection', 'static-ips', 'groom'] as const;

export const awsNaclClient = declareBlockClient({
  module: VENDOR_ID,
  name: AWS_NACL_CLIENT_NAME,
  product: 'AWS VPC network ACLs (EC2 API)',
  capabilities: CAPABILITIES,
  fields: NACL_FIELDS,
  permissions:
    'ec2:DescribeNetworkAcls, ec2:CreateNetworkAclEntry and ec2:DeleteNetworkAclEntry on the listed NACLs',
  configure: naclConfigFrom,
  create: (cfg: NaclConfig, ctx) => {
    const mine = (o: { blockedElements: Readonly<Record<string, readonly string[]>> }) =>
      o.blockedElements[AWS_NACL_CLIENT_NAME] ?? [];
    return defineBlockClient(
      { module: VENDOR_ID, name: AWS_NACL_CLIENT_NAME, capabilities: CAPABILITIES },
      {
        blockHost: async (host) =>
          host.ip ? blockIdsOrThrow(await blockAll(cfg, [host.ip], ctx), ctx, cfg) : [],
        // VAR's re-grooming: a host whose IP changed since its block has its old
        // address released (it may belong to someone else now) and its new one denied.
        groomHost: async (host) => {
          const current = host.ip ? parseCidr(host.ip)?.text : undefined;
          const stale = mine(host).some((id) => parseElementId(id)?.cidr.text !== current);
          return { unblock: stale, block: stale && current !== undefined };
        },
        unblockHost: async (host) =>
          unblockIdsOrThrow(await unblockIds(cfg, mine(host), ctx, { kind: 'host', id: host.id }), ctx),
        blockDetection: async (d) => blockIdsOrThrow(await blockAll(cfg, d.dstIps, ctx), ctx, cfg),
        unblockDetection: async (d) =>
          unblockIdsOrThrow(await unblockIds(cfg, mine(d), ctx, { kind: 'detection', id: d.id }), ctx),
        blockStaticDstIps: async (ips) =>
          statics(blockIdsOrThrow(await blockAll(cfg, ips.dstIps, ctx), ctx, cfg)),
        unblockStaticDstIps: async (ips) =>
          statics(unblockIdsOrThrow(await unblockAll(cfg, ips.dstIps, ctx), ctx)),
        ipOf: (id) => parseElementId(id)?.cidr.text,
        health: async () => {
          await health(cfg, ctx);
        },
      },
    );
  },
});
