/**
 * Vectra's own lockdown (the brain disabling an AD account or isolating a
 * host through its EDR integration): which hosts and accounts it holds now.
 * v3.3+ lists both through `GET /lockdown?type=host|account`; v2.5 through
 * `GET /lockdown/account` (vat `get_lockdown`). A v2.5 host path appears only
 * in an unofficial tool's endpoint list, so v2.5 host lockdowns are not read
 * (README). Entries name the object by `entity_id` (v3, vat-era API guides) —
 * `account_id`/`host_id` are accepted too, since the v2.5 entry shape is not
 * documented — and an entry whose unlock time has passed no longer holds.
 */
import type { VectraClient } from './client.js';

export interface Lockdown {
  readonly kind: 'host' | 'account';
  readonly id: number;
  readonly lockedBy: string | null;
  readonly since: string | null;
  readonly until: string | null;
}

export interface Lockdowns {
  get(id: number): Lockdown | undefined;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function parseEntry(kind: 'host' | 'account', raw: unknown, now: number): Lockdown | undefined {
  const e = (raw ?? {}) as Record<string, unknown>;
  const id = Number(e.entity_id ?? (kind === 'host' ? e.host_id : e.account_id));
  if (!Number.isInteger(id) || id <= 0) return undefined;
  const until = str(e.unlock_event_timestamp) ?? str(e.unlock_date);
  if (until !== null && Date.parse(until) <= now) return undefined;
  return {
    kind,
    id,
    lockedBy: str(e.locked_by),
    since: str(e.lock_event_timestamp) ?? str(e.lock_date),
    until,
  };
}

async function read(client: VectraClient, kind: 'host' | 'account'): Promise<Lockdown[]> {
  if (!client.isV3 && kind === 'host') return [];
  const body = client.isV3
    ? await client.api.get('lockdown', { type: kind })
    : await client.api.get('lockdown/account');
  const list = Array.isArray(body) ? body : ((body as { results?: unknown } | null)?.results ?? []);
  const now = Date.now();
  return (Array.isArray(list) ? list : [])
    .map((e) => parseEntry(kind, e, now))
    .filter((l): l is Lockdown => l !== undefined);
}

const memo = new WeakMap<VectraClient, Map<string, Promise<Lockdowns>>>();

/**
 * The lockdowns of `kind` in force, read once per client (one request's
 * worth; v2.5 hosts: none, without a call). A failed read rejects; callers
 * decide whether that is a warning (observe, respond) or is logged (trigger).
 */
export function lockdowns(client: VectraClient, kind: 'host' | 'account'): Promise<Lockdowns> {
  let perKind = memo.get(client);
  if (!perKind) {
    perKind = new Map();
    memo.set(client, perKind);
  }
  let p = perKind.get(kind);
  if (!p) {
    p = read(client, kind).then((list) => {
      const byId = new Map(list.map((l) => [l.id, l]));
      return { get: (id: number) => byId.get(id) };
    });
    perKind.set(kind, p);
  }
  return p;
}

/** One sentence for a sighting description or a warning. */
export function describeLockdown(l: Lockdown, name: string): string {
  const by = l.lockedBy ? ` by ${l.lockedBy}` : '';
  const since = l.since ? ` since ${l.since}` : '';
  const until = l.until ? ` until ${l.until}` : '';
  return `Vectra holds the ${l.kind} ${name} in lockdown${by}${since}${until}.`;
}
