/**
 * Defender custom indicators for observables (`ip`, `ipv6`, `domain`, `url`,
 * `sha256`, `sha1`): block, allow, remove. Ours carry `vectra-relay-` in
 * their title; an indicator anyone else made for the same value is never
 * overwritten (Defender's submit-or-update would) or removed. IP indicators
 * take only single external addresses, and a tenant holds at most 15,000.
 */
import { BlockList, isIP } from 'node:net';
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import type { Observable } from '../../kernel/observables.js';
import type { DefenderApi, Indicator } from './client.js';
import { PRODUCT } from './config.js';
import { COMMENT_PREFIX, who } from './isolation.js';

export const INDICATOR_LIMIT = 15_000;

export const INDICATOR_TYPES: Readonly<Record<string, string>> = {
  ip: 'IpAddress',
  ipv6: 'IpAddress',
  domain: 'DomainName',
  url: 'Url',
  sha256: 'FileSha256',
  sha1: 'FileSha1',
};

export type IndicatorVerb = 'block' | 'allow';

/** Special-purpose ranges Defender does not take as IP indicators (internal, loopback, multicast…). */
const internal = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  internal.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  internal.addSubnet(net, prefix, 'ipv6');
}

/** A single external address (no CIDR, no internal range). */
export function isExternalAddress(value: string): boolean {
  const family = isIP(value);
  // IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is refused outright: Defender wants the IPv4 form.
  if (family === 6 && /^::ffff:/i.test(value)) return false;
  return family !== 0 && !internal.check(value, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why the observable cannot be an indicator, or undefined when it can. */
export function indicatorRefusal(o: Observable): string | undefined {
  if (!INDICATOR_TYPES[o.type]) return `${PRODUCT} takes no indicator of type ${o.type}`;
  if (INDICATOR_TYPES[o.type] === 'IpAddress' && !isExternalAddress(o.value)) {
    return `${PRODUCT} takes IP indicators only for single external addresses, not ${o.value.slice(0, 60)}`;
  }
  if (
    (o.type === 'sha256' && !/^[0-9a-f]{64}$/i.test(o.value)) ||
    (o.type === 'sha1' && !/^[0-9a-f]{40}$/i.test(o.value))
  ) {
    return `${o.value.slice(0, 80)} is not a ${o.type} hash`;
  }
  return undefined;
}

export const isOurIndicator = (i: Indicator): boolean => (i.title ?? '').startsWith(COMMENT_PREFIX);

/** The indicators of this value and type: ours (at most one) and anyone else's. */
export async function indicatorsOf(
  api: DefenderApi,
  o: Observable,
): Promise<{ ours?: Indicator; foreign: Indicator[] }> {
  const type = INDICATOR_TYPES[o.type];
  const all = (await api.indicatorsFor(o.value)).filter((i) => i.indicatorType === type);
  const ours = all.find(isOurIndicator);
  return { ...(ours ? { ours } : {}), foreign: all.filter((i) => !isOurIndicator(i)) };
}

const defenderAction = (verb: IndicatorVerb, type: string) =>
  verb === 'allow' ? 'Allowed' : type.startsWith('File') ? 'BlockAndRemediate' : 'Block';

/** Blocks or allows the observable; answers the indicator id and whether anything changed. */
export async function setIndicator(
  api: DefenderApi,
  o: Observable,
  verb: IndicatorVerb,
  ctx: RequestContext,
): Promise<{ id: string; unchanged: boolean }> {
  const refusal = indicatorRefusal(o);
  if (refusal) throw new RelayError('invalid argument', `${refusal}.`);
  const type = INDICATOR_TYPES[o.type] as string;
  const { ours, foreign } = await indicatorsOf(api, o);
  if (foreign.length > 0) {
    throw new RelayError(
      'state conflict',
      `${PRODUCT} already has an indicator for ${o.value.slice(0, 80)} that the relay did not create (${foreign[0]?.action}); the relay leaves it as it is.`,
    );
  }
  const action = defenderAction(verb, type);
  if (ours?.action === action) return { id: ours.id, unchanged: true };
  if (!ours && (await api.indicatorAt(INDICATOR_LIMIT - 1))) {
    throw new RelayError(
      'state conflict',
      `${PRODUCT} already holds ${INDICATOR_LIMIT} indicators, its limit per tenant; remove some before adding more.`,
    );
  }
  const saved = await api.submitIndicator({
    indicatorValue: o.value,
    indicatorType: type,
    action,
    title: `${COMMENT_PREFIX}${verb} ${o.value.slice(0, 200)}`,
    description: `${verb === 'block' ? 'Blocked' : 'Allowed'} from Vectra Detect by ${who(ctx)}`,
    severity: verb === 'block' ? 'High' : 'Informational',
    generateAlert: verb === 'block',
  });
  return { id: saved.id, unchanged: false };
}

/** Removes our indicator for the observable; anyone else's stays. */
export async function removeIndicator(
  api: DefenderApi,
  o: Observable,
): Promise<{ ids: string[]; unchanged: boolean }> {
  if (!INDICATOR_TYPES[o.type])
    throw new RelayError('unsupported type', `${PRODUCT} takes no indicator of type ${o.type}.`);
  const { ours } = await indicatorsOf(api, o);
  if (!ours) return { ids: [], unchanged: true };
  await api.deleteIndicators([ours.id]);
  return { ids: [ours.id], unchanged: false };
}

// ---- IP indicators as VAR block elements (detections, static destination IPs) ----

/** Element id of the IP indicator blocking `ip`: `indicator/<ip>`. */
export const indicatorElement = (ip: string): string => `indicator/${ip}`;
export const ipOfElement = (id: string): string | undefined =>
  id.startsWith('indicator/') && isIP(id.slice(10)) !== 0 ? id.slice(10) : undefined;

const ipObservable = (ip: string): Observable => ({ type: isIP(ip) === 6 ? 'ipv6' : 'ip', value: ip });

/**
 * Blocks each single external address with a Block indicator. Internal
 * addresses and CIDRs are left out (Defender takes neither); an address
 * someone else already has an indicator for is left out too, and when that
 * leaves nothing, the conflict is the answer.
 */
export async function blockIps(
  api: DefenderApi,
  ips: readonly string[],
  ctx: RequestContext,
): Promise<{ ip: string; id: string }[]> {
  const out: { ip: string; id: string }[] = [];
  let conflict: RelayError | undefined;
  for (const ip of new Set(ips)) {
    if (!isExternalAddress(ip)) {
      ctx.log.info('defender indicator skipped: not a single external address', { ip });
      continue;
    }
    try {
      await setIndicator(api, ipObservable(ip), 'block', ctx);
      out.push({ ip, id: indicatorElement(ip) });
    } catch (err) {
      if (!(err instanceof RelayError && err.code === 'state conflict') || /15000/.test(err.message))
        throw err;
      ctx.log.warn('defender indicator left alone: not ours', { ip });
      conflict = err;
    }
  }
  if (out.length === 0 && conflict) throw conflict;
  return out;
}

/** Removes our indicators of these element ids (and answers them all: gone is success). */
export async function unblockIndicatorIds(api: DefenderApi, ids: readonly string[]): Promise<string[]> {
  const done: string[] = [];
  for (const id of ids) {
    const ip = ipOfElement(id);
    if (!ip) continue;
    await removeIndicator(api, ipObservable(ip));
    done.push(id);
  }
  return done;
}
