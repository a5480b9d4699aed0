/**
 * VAR's operations on a Cisco ASA: a block is our `object network
 * vectra-relay-<address>` (host, our description) made a member of the
 * customer's object-group that their deny access-list uses in both
 * directions; one `write memory` per batch. An unblock removes our member and
 * our object. Members and objects of anyone else are never changed.
 *
 * Element ids are our object names; hosts, detections and static lists block
 * through the same group, so one address is one element (the VAR core keeps
 * it while another record holds it).
 */
import { type BlockClient, defineBlockClient, type StaticElement } from '../../kernel/block-client.js';
import { parseCidr } from '../../kernel/cidr.js';
import type { RequestContext } from '../../kernel/context.js';
import { invalidArgument, RelayError } from '../../kernel/errors.js';
import { withKeyLock } from '../../kernel/keyed-lock.js';
import type { BlockedElements } from '../../kernel/model.js';
import { AsaApi, cliError, type NetworkObject, parseGroup, parseObjects } from './client.js';
import { ASA_CLIENT_NAME, ASA_MODULE, ASA_PRODUCT, type AsaConfig } from './config.js';

export const ASA_CAPABILITIES = ['host', 'detection', 'static-ips', 'groom'] as const;
export const PREFIX = 'vectra-relay-';
export const OUR_DESCRIPTION = 'Blocked by the Vectra relay - do not edit';
/** Our member that takes the last place in a group an unblock would empty (RFC 5737 TEST-NET-1: never a real peer). */
export const PLACEHOLDER = { name: `${PREFIX}placeholder`, host: '192.0.2.1' } as const;

/** The canonical single address of `input` (`/32`, `/128` accepted); ranges are refused. */
export function singleAddress(input: string): string {
  const c = parseCidr(input);
  if (!c) throw invalidArgument(`Not an IPv4 or IPv6 address: ${JSON.stringify(input.slice(0, 80))}`);
  if (c.prefix !== (c.family === 4 ? 32 : 128)) {
    throw invalidArgument(`${ASA_PRODUCT} blocks single addresses here, not the range ${c.text}.`);
  }
  return c.text.slice(0, c.text.lastIndexOf('/'));
}

/** `vectra-relay-10.0.0.1`, `vectra-relay-2001_db8__1` (colons are not valid in ASA names). */
export const objectName = (ip: string): string => `${PREFIX}${ip.replaceAll(':', '_')}`;

export function ipOfName(name: string): string | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const ip = name.slice(PREFIX.length).replaceAll('_', ':');
  const c = parseCidr(ip);
  return c && c.prefix === (c.family === 4 ? 32 : 128) && objectName(c.text.split('/')[0] as string) === name
    ? (c.text.split('/')[0] as string)
    : undefined;
}

/** Writes to one ASA from this process one batch at a time: the reads that plan a batch stay true. */
const locked = <T>(cfg: AsaConfig, fn: () => Promise<T>): Promise<T> =>
  withKeyLock(`cisco_asa_http|${cfg.url}`, fn);

export function createAsaClient(cfg: AsaConfig, ctx: RequestContext): BlockClient {
  const api = new AsaApi(cfg, ctx);
  const ours = (o: NetworkObject | undefined) => o?.description === OUR_DESCRIPTION;

  const read = async (what: string) => {
    const groupText = await api.exec(`show running-config object-group id ${cfg.group}`, what);
    const group = parseGroup(groupText, cfg.group);
    const objectsText = await api.exec('show running-config object network', what);
    const readErr = cliError(objectsText, what);
    if (readErr) throw readErr;
    return { group, objects: parseObjects(objectsText) };
  };

  const apply = async (units: string[][], what: string) => {
    if (units.length === 0) return;
    for (const out of await api.config(units, what)) {
      // An object still referenced elsewhere cannot be deleted: it is out of our group, so nothing is blocked.
      const lines = out.split(/\r?\n/).filter((l) => !/Object is being used/i.test(l));
      const err = cliError(lines.join('\n'), what);
      if (err) throw err;
    }
    await api.writeMemory();
  };

  const block = (inputs: readonly string[]): Promise<StaticElement[]> =>
    locked(cfg, async () => {
      const ips = [...new Set(inputs.map(singleAddress))];
      if (ips.length === 0) return [];
      const what = `block ${ips.length} address(es)`;
      const { group, objects } = await read(what);
      if (!group) {
        throw new RelayError(
          'not found',
          `${ASA_PRODUCT} has no object-group network ${cfg.group}; create it and use it in your deny access-list.`,
        );
      }
      const wanted = ips.map((ip) => ({ name: objectName(ip), host: ip }));
      const units: string[][] = [];
      for (const w of wanted) {
        const existing = objects.get(w.name);
        if (existing && !(ours(existing) && existing.host === w.host)) {
          throw new RelayError(
            'state conflict',
            `${ASA_PRODUCT} already has an object ${w.name} that the relay did not create; remove or rename it.`,
          );
        }
        if (!existing)
          units.push([`object network ${w.name}`, `host ${w.host}`, `description ${OUR_DESCRIPTION}`]);
      }
      const members = wanted
        .filter((w) => !group.objects.has(w.name))
        .map((w) => `network-object object ${w.name}`);
      // Our placeholder, if an earlier unblock left it, gives its place back once ours are in.
      const retire = group.objects.has(PLACEHOLDER.name)
        ? [`no network-object object ${PLACEHOLDER.name}`]
        : [];
      if (members.length + retire.length > 0)
        units.push([`object-group network ${cfg.group}`, ...members, ...retire]);
      if (retire.length > 0 && ours(objects.get(PLACEHOLDER.name)))
        units.push([`no object network ${PLACEHOLDER.name}`]);
      await apply(units, what);
      return ips.map((ip) => ({ ip, id: objectName(ip) }));
    });

  const release = (ids: readonly string[]): Promise<string[]> =>
    locked(cfg, async () => {
      const names = [...new Set(ids.filter((id) => ipOfName(id) !== undefined))];
      if (names.length === 0) return [...ids];
      const what = `unblock ${names.length} address(es)`;
      const { group, objects } = await read(what);
      const leaving = names.filter((n) => group?.objects.has(n));
      const units: string[][] = [];
      if (group && leaving.length > 0) {
        // The ASA refuses to empty a group its access-list uses: our placeholder takes the last place.
        const emptied = group.members - leaving.length === 0;
        const keep = emptied ? [`network-object object ${PLACEHOLDER.name}`] : [];
        if (emptied && !objects.has(PLACEHOLDER.name)) {
          units.push([
            `object network ${PLACEHOLDER.name}`,
            `host ${PLACEHOLDER.host}`,
            `description ${OUR_DESCRIPTION}`,
          ]);
        }
        units.push([
          `object-group network ${cfg.group}`,
          ...keep,
          ...leaving.map((n) => `no network-object object ${n}`),
        ]);
      }
      for (const n of names) if (ours(objects.get(n))) units.push([`no object network ${n}`]);
      await apply(units, what);
      return [...ids];
    });

  const mine = (o: { blockedElements: BlockedElements }) => o.blockedElements[ASA_CLIENT_NAME] ?? [];
  const ids = (pairs: readonly StaticElement[]) => pairs.map((p) => p.id);

  return defineBlockClient(
    { module: ASA_MODULE, name: ASA_CLIENT_NAME, capabilities: ASA_CAPABILITIES },
    {
      blockHost: async (host) => (host.ip ? ids(await block([host.ip])) : []),
      unblockHost: (host) => release(mine(host)),
      groomHost: async (host) => {
        const c = host.ip ? parseCidr(host.ip) : undefined;
        const now = c ? objectName(c.text.split('/')[0] as string) : undefined;
        const stale = mine(host).some((id) => id !== now);
        return { unblock: stale, block: stale && now !== undefined };
      },
      blockDetection: async (d) => ids(await block(d.dstIps)),
      unblockDetection: (d) => release(mine(d)),
      blockStaticDstIps: (s) => block(s.dstIps),
      unblockStaticDstIps: async (s) => {
        const pairs = [...new Set(s.dstIps.map(singleAddress))].map((ip) => ({ ip, id: objectName(ip) }));
        await release(ids(pairs));
        return pairs;
      },
      ipOf: ipOfName,
      health: async () => {
        const out = await api.exec('show version', 'answer its version');
        const err = cliError(out, 'answer its version');
        if (err) throw err;
      },
    },
  );
}
