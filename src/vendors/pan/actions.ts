/**
 * VAR's operations on PAN-OS: a block registers the address with one of our
 * tags on every configured firewall, which puts it into the customer's
 * dynamic address group at once (no commit); an unblock unregisters exactly
 * our tag, leaving any other tag on the address alone.
 *
 * Element ids are `<tag>:<address>`, so unblock knows the tag it registered
 * even after the token's tag fields change, and a host and a detection that
 * block the same address hold different elements.
 */
import { type BlockClient, defineBlockClient, type StaticElement } from '../../kernel/block-client.js';
import { parseCidr } from '../../kernel/cidr.js';
import type { RequestContext } from '../../kernel/context.js';
import { invalidArgument } from '../../kernel/errors.js';
import type { BlockedElements } from '../../kernel/model.js';
import { PanApi, type UidAction } from './client.js';
import { PAN_CLIENT_NAME, PAN_MODULE, PAN_PRODUCT, PAN_TAG, type PanConfig } from './config.js';

export const PAN_CAPABILITIES = ['host', 'detection', 'static-ips', 'groom'] as const;

/** The canonical single address of `input` (a `/32` or `/128` is accepted); ranges are refused. */
export function singleAddress(input: string): string {
  const c = parseCidr(input);
  if (!c) throw invalidArgument(`Not an IPv4 or IPv6 address: ${JSON.stringify(input.slice(0, 80))}`);
  if (c.prefix !== (c.family === 4 ? 32 : 128)) {
    throw invalidArgument(`${PAN_PRODUCT} registrations hold single addresses, not the range ${c.text}.`);
  }
  return c.text.slice(0, c.text.lastIndexOf('/'));
}

export const elementId = (tag: string, ip: string): string => `${tag}:${ip}`;

/** Splits `<tag>:<address>`; undefined when the id is not one of ours. */
export function parseElementId(id: string): { tag: string; ip: string } | undefined {
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const tag = id.slice(0, colon);
  const c = parseCidr(id.slice(colon + 1));
  if (!PAN_TAG.test(tag) || !c || c.prefix !== (c.family === 4 ? 32 : 128)) return undefined;
  return { tag, ip: c.text.slice(0, c.text.lastIndexOf('/')) };
}

export function createPanClient(cfg: PanConfig, ctx: RequestContext): BlockClient {
  const api = new PanApi(cfg, ctx);
  const targets: readonly (string | undefined)[] = cfg.targets.length > 0 ? cfg.targets : [undefined];

  /** One call per firewall; a failure at one leaves a state the next (idempotent) call repairs. */
  const apply = async (action: UidAction, tag: string, ips: readonly string[]): Promise<void> => {
    if (ips.length === 0) return;
    await Promise.all(targets.map((t) => api.userId(action, t, tag, ips)));
  };

  const block = async (tag: string, inputs: readonly string[]): Promise<StaticElement[]> => {
    const ips = [...new Set(inputs.map(singleAddress))];
    await apply('register', tag, ips);
    return ips.map((ip) => ({ ip, id: elementId(tag, ip) }));
  };

  /** Unregisters exactly the given elements, grouped by the tag each carries. */
  const release = async (ids: readonly string[]): Promise<string[]> => {
    const byTag = new Map<string, string[]>();
    for (const id of ids) {
      const e = parseElementId(id);
      if (e) byTag.set(e.tag, [...(byTag.get(e.tag) ?? []), e.ip]);
    }
    for (const [tag, ips] of byTag) await apply('unregister', tag, [...new Set(ips)]);
    // Ids that are not ours name nothing we could have registered: released as they are.
    return [...ids];
  };

  const mine = (o: { blockedElements: BlockedElements }) => o.blockedElements[PAN_CLIENT_NAME] ?? [];
  const ids = (pairs: readonly StaticElement[]) => pairs.map((p) => p.id);

  return defineBlockClient(
    { module: PAN_MODULE, name: PAN_CLIENT_NAME, capabilities: PAN_CAPABILITIES },
    {
      blockHost: async (host) => (host.ip ? ids(await block(cfg.hostTag, [host.ip])) : []),
      unblockHost: (host) => release(mine(host)),
      // A host whose address changed since its block: release the old address, register the new one.
      groomHost: async (host) => {
        const current = host.ip ? parseCidr(host.ip) : undefined;
        const now = current
          ? elementId(cfg.hostTag, current.text.slice(0, current.text.lastIndexOf('/')))
          : undefined;
        const stale = mine(host).some((id) => id !== now);
        return { unblock: stale, block: stale && now !== undefined };
      },
      blockDetection: async (d) => ids(await block(cfg.detectionTag, d.dstIps)),
      unblockDetection: (d) => release(mine(d)),
      blockStaticDstIps: (s) => block(cfg.detectionTag, s.dstIps),
      unblockStaticDstIps: async (s) => {
        const pairs = [...new Set(s.dstIps.map(singleAddress))].map((ip) => ({
          ip,
          id: elementId(cfg.detectionTag, ip),
        }));
        await release(ids(pairs));
        return pairs;
      },
      ipOf: (id) => parseElementId(id)?.ip,
      health: async () => {
        await Promise.all(targets.map((t) => api.systemInfo(t)));
      },
    },
  );
}
