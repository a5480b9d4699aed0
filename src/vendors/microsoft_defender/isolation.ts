/**
 * Defender's isolation state of one machine, read from its machine actions
 * (the API has no "isolated" flag), the OS rules of the isolate API, and the
 * comment our actions carry — which is also how we tell our isolations from
 * anyone else's.
 */
import type { RequestContext } from '../../kernel/context.js';
import type { VectraHost } from '../../kernel/model.js';
import type { Machine, MachineAction } from './client.js';
import type { IsolationType } from './config.js';

/** Every comment we write starts with this; an isolation whose comment does not is not ours. */
export const COMMENT_PREFIX = 'vectra-relay-';

export type IsolationState =
  | { readonly kind: 'released' }
  | { readonly kind: 'isolating' | 'isolated' | 'releasing'; readonly action: MachineAction };

const LIVE = new Set(['Pending', 'InProgress']);

/**
 * The newest Isolate/Unisolate action that is running or succeeded decides the
 * state (failed, timed-out and cancelled actions changed nothing).
 * `actions` must be newest first.
 */
export function isolationState(actions: readonly MachineAction[]): IsolationState {
  const last = actions.find(
    (a) =>
      (a.type === 'Isolate' || a.type === 'Unisolate') && (a.status === 'Succeeded' || LIVE.has(a.status)),
  );
  if (!last) return { kind: 'released' };
  const running = LIVE.has(last.status);
  if (last.type === 'Isolate') return { kind: running ? 'isolating' : 'isolated', action: last };
  return running ? { kind: 'releasing', action: last } : { kind: 'released' };
}

export const isOurs = (a: MachineAction): boolean => (a.requestorComment ?? '').startsWith(COMMENT_PREFIX);

/** Windows 10 versions (`1709`, `20H2`) as comparable numbers: 20H2 → 2010, 21H1 → 2104. */
export function windowsVersion(v: string | null): number | undefined {
  if (!v) return undefined;
  if (/^\d{4}$/.test(v)) return Number(v);
  const m = /^(\d{2})H([12])$/i.exec(v);
  return m ? Number(m[1]) * 100 + (m[2] === '1' ? 4 : 10) : undefined;
}

/**
 * Why Defender cannot apply `type` isolation to the machine, or undefined when
 * it can: Full on Windows 10 1703+, Windows 11 and Linux; Selective on
 * Windows 10 1709+ and Windows 11 (README.md, "What happens").
 */
export function isolationRefusal(m: Machine, type: IsolationType): string | undefined {
  const os = m.osPlatform ?? 'an unknown OS';
  const needs =
    type === 'Full'
      ? 'Full isolation needs Windows 10 1703 or later, Windows 11 or Linux'
      : 'Selective isolation needs Windows 10 1709 or later or Windows 11';
  if (os === 'Windows11') return undefined;
  if (os === 'Linux' && type === 'Full') return undefined;
  if (os === 'Windows10') {
    const v = windowsVersion(m.version);
    if (v !== undefined && v >= (type === 'Full' ? 1703 : 1709)) return undefined;
    return `${needs}; the machine runs Windows 10 version ${m.version ?? 'unknown'}`;
  }
  return `${needs}; the machine runs ${os}`;
}

/** Who asked, for the comment: the analyst's relay request or the engine. */
export const who = (ctx: RequestContext): string =>
  ctx.claimsSource === 'engine'
    ? 'the relay engine (Vectra Automated Response policy)'
    : `a Cisco XDR analyst via the Vectra relay${ctx.moduleInstanceId ? ` (module ${ctx.moduleInstanceId.slice(0, 64)})` : ''}`;

/** Defender requires a comment; ours says who asked and why, under our prefix. */
export function comment(
  verb: 'isolate' | 'release' | 'cancel',
  host: VectraHost,
  ctx: RequestContext,
): string {
  const why =
    verb === 'isolate'
      ? `Vectra host ${host.name} (id ${host.id}, threat ${host.threat}, certainty ${host.certainty}) blocked`
      : `block of Vectra host ${host.name} (id ${host.id}) lifted`;
  return `${COMMENT_PREFIX}${verb}: ${why} by ${who(ctx)}`.slice(0, 1000);
}
