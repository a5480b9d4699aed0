/**
 * VAR's operations on FMC: a block maps the address into one of our dynamic
 * objects (hosts, or destinations), which the customer's access rule uses;
 * FMC pushes mappings to the devices without a deployment, so the block is
 * in force when the call succeeds. An unblock removes exactly that mapping.
 *
 * Element ids are `<object name>:<address>`, so unblock knows the object even
 * after the token's object fields change.
 */
import { type BlockClient, defineBlockClient, type StaticElement } from '../../kernel/block-client.js';
import { parseCidr } from '../../kernel/cidr.js';
import type { RequestContext } from '../../kernel/context.js';
import { invalidArgument } from '../../kernel/errors.js';
import type { BlockedElements } from '../../kernel/model.js';
import { FmcApi } from './client.js';
import { FMC_CLIENT_NAME, FMC_MODULE, FMC_OBJECT_NAME, FMC_PRODUCT, type FmcConfig } from './config.js';
import { baseName, createLegacy, hostName } from './legacy.js';

export const FMC_CAPABILITIES = ['host', 'detection', 'static-ips', 'groom'] as const;

const hostText = (c: { text: string }) => c.text.slice(0, c.text.lastIndexOf('/'));

/** The canonical single address of `input` (`/32` and `/128` accepted); ranges are refused. */
export function singleAddress(input: string): string {
  const c = parseCidr(input);
  if (!c) throw invalidArgument(`Not an IPv4 or IPv6 address: ${JSON.stringify(input.slice(0, 80))}`);
  if (c.prefix !== (c.family === 4 ? 32 : 128)) {
    throw invalidArgument(`${FMC_PRODUCT} blocks single addresses here, not the range ${c.text}.`);
  }
  return hostText(c);
}

export const elementId = (object: string, ip: string): string => `${object}:${ip}`;

export function parseElementId(id: string): { object: string; ip: string } | undefined {
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const object = id.slice(0, colon);
  const c = parseCidr(id.slice(colon + 1));
  if (!FMC_OBJECT_NAME.test(object) || !c || c.prefix !== (c.family === 4 ? 32 : 128)) return undefined;
  return { object, ip: hostText(c) };
}

export function createFmcClient(cfg: FmcConfig, ctx: RequestContext): BlockClient {
  const api = new FmcApi(cfg, ctx);
  if (cfg.legacy) return createLegacyClient(api, createLegacy(cfg, cfg.legacy, api));

  const block = async (object: string, inputs: readonly string[]): Promise<StaticElement[]> => {
    const ips = [...new Set(inputs.map(singleAddress))];
    await api.mappings('add', object, ips);
    return ips.map((ip) => ({ ip, id: elementId(object, ip) }));
  };

  const release = async (ids: readonly string[]): Promise<string[]> => {
    const byObject = new Map<string, string[]>();
    for (const id of ids) {
      const e = parseElementId(id);
      if (e) byObject.set(e.object, [...(byObject.get(e.object) ?? []), e.ip]);
    }
    for (const [object, ips] of byObject) await api.mappings('remove', object, [...new Set(ips)]);
    // Ids that are not ours name nothing we could have mapped: released as they are.
    return [...ids];
  };

  const mine = (o: { blockedElements: BlockedElements }) => o.blockedElements[FMC_CLIENT_NAME] ?? [];
  const ids = (pairs: readonly StaticElement[]) => pairs.map((p) => p.id);

  return defineBlockClient(
    { module: FMC_MODULE, name: FMC_CLIENT_NAME, capabilities: FMC_CAPABILITIES },
    {
      blockHost: async (host) => (host.ip ? ids(await block(cfg.hostObject, [host.ip])) : []),
      unblockHost: (host) => release(mine(host)),
      // A host whose address changed since its block: release the old mapping, map the new address.
      groomHost: async (host) => {
        const c = host.ip ? parseCidr(host.ip) : undefined;
        const now = c ? elementId(cfg.hostObject, hostText(c)) : undefined;
        const stale = mine(host).some((id) => id !== now);
        return { unblock: stale, block: stale && now !== undefined };
      },
      blockDetection: async (d) => ids(await block(cfg.detectionObject, d.dstIps)),
      unblockDetection: (d) => release(mine(d)),
      blockStaticDstIps: (s) => block(cfg.detectionObject, s.dstIps),
      unblockStaticDstIps: async (s) => {
        const pairs = [...new Set(s.dstIps.map(singleAddress))].map((ip) => ({
          ip,
          id: elementId(cfg.detectionObject, ip),
        }));
        await release(ids(pairs));
        return pairs;
      },
      ipOf: (id) => parseElementId(id)?.ip,
      health: () => api.health(),
    },
  );
}

/** The legacy address of an element id (`vectra-relay-<address>[@task]`), IPv6 `_` back to `:`. */
function legacyIp(id: string): string | undefined {
  const name = baseName(id);
  const c = parseCidr(name.slice('vectra-relay-'.length).replaceAll('_', ':'));
  return c && c.prefix === (c.family === 4 ? 32 : 128) && hostName(hostText(c)) === name
    ? hostText(c)
    : undefined;
}

/**
 * Legacy mode: hosts and detections share the customer's group and answer
 * pending until the deployment task ends. Static lists cannot wait for a
 * deployment (they have no pending state), so they need dynamic mode.
 */
function createLegacyClient(api: FmcApi, legacy: ReturnType<typeof createLegacy>): BlockClient {
  const mine = (o: { blockedElements: BlockedElements; pendingElements?: BlockedElements }) => [
    ...(o.blockedElements[FMC_CLIENT_NAME] ?? []),
    ...(o.pendingElements?.[FMC_CLIENT_NAME] ?? []),
  ];
  const pendingOf = (o: { pendingElements?: BlockedElements }) => o.pendingElements?.[FMC_CLIENT_NAME] ?? [];
  const noStatics = async (): Promise<StaticElement[]> => {
    throw invalidArgument(
      `${FMC_PRODUCT} static destination lists need cisco_fmc_mode dynamic (legacy blocks wait for a deployment).`,
    );
  };
  return defineBlockClient(
    { module: FMC_MODULE, name: FMC_CLIENT_NAME, capabilities: FMC_CAPABILITIES },
    {
      blockHost: (host) =>
        host.ip ? legacy.block([singleAddress(host.ip)], pendingOf(host)) : Promise.resolve([]),
      unblockHost: (host) => legacy.unblock(mine(host)),
      groomHost: async (host) => {
        const c = host.ip ? parseCidr(host.ip) : undefined;
        const now = c ? hostName(hostText(c)) : undefined;
        const stale = mine(host).some((id) => baseName(id) !== now);
        return { unblock: stale, block: stale && now !== undefined };
      },
      blockDetection: (d) => legacy.block([...new Set(d.dstIps.map(singleAddress))], pendingOf(d)),
      unblockDetection: (d) => legacy.unblock(mine(d)),
      blockStaticDstIps: noStatics,
      unblockStaticDstIps: noStatics,
      confirm: (_target, pendingIds) => legacy.confirm(pendingIds),
      ipOf: legacyIp,
      health: () => api.health(),
    },
  );
}
