/**
 * Dashboard tiles: hosts by threat/certainty quadrant (v2.5, four cheap
 * `count` queries) or by urgency band (v3, entities), and a table of hosts
 * and accounts VAR currently holds blocked. The quadrant tile honours the
 * period through `last_detection_timestamp_gte`; the blocked table is the
 * current state, whatever the period.
 */
import type { RequestContext } from '../../kernel/context.js';
import { RelayError } from '../../kernel/errors.js';
import { escapeMarkdown, markdownDate } from '../../kernel/markdown.js';
import type { VectraAccount, VectraHost } from '../../kernel/model.js';
import { ACCOUNT_BLOCKED_MARKER, HOST_BLOCKED_MARKER } from '../../var/state.js';
import { BLOCKED_TILE, QUADRANT_TILE, TILE_PERIODS } from './catalog.js';
import { VectraClient } from './client.js';
import type { VectraConfig } from './config.js';
import { VENDOR } from './product.js';
import { urgencySeverity } from './sightings.js';

const MAX_ROWS = 50;
const VALID_FOR_MS = 5 * 60_000;

export async function tileData(
  cfg: VectraConfig,
  tileId: string,
  period: string,
  ctx: RequestContext,
  client: VectraClient = new VectraClient(cfg, ctx),
): Promise<Record<string, unknown>> {
  if (tileId !== QUADRANT_TILE && tileId !== BLOCKED_TILE)
    throw new RelayError('invalid argument', 'Invalid tile id.');
  const span = TILE_PERIODS[period];
  if (span === undefined) throw new RelayError('invalid argument', 'Invalid period.');
  const now = Date.now();
  const start = new Date(now - span).toISOString();
  const data = tileId === QUADRANT_TILE ? await quadrants(client, start) : await blocked(client);
  return {
    valid_time: {
      start_time: new Date(now).toISOString(),
      end_time: new Date(now + VALID_FOR_MS).toISOString(),
    },
    observed_time: { start_time: start, end_time: new Date(now).toISOString() },
    cache_scope: 'org',
    period,
    data,
  };
}

interface Metric {
  label: string;
  value: number;
  value_unit: 'integer';
  icon: string;
  link_uri: string;
}

const ICONS: Record<string, string> = {
  Critical: 'critical-stop',
  High: 'warning',
  Medium: 'information',
  Low: 'device-type',
};

async function quadrants(client: VectraClient, since: string): Promise<Metric[]> {
  const link = `${client.cfg.uiUrl}/hosts`;
  const metric = (label: string, value: number): Metric => ({
    label,
    value: Math.max(0, value),
    value_unit: 'integer',
    icon: ICONS[label] ?? 'device-type',
    link_uri: link,
  });
  if (client.isV3) {
    const entities = (await client.api.list(
      'entities',
      { type: 'host', state: 'active', last_detection_timestamp_gte: since },
      { maxItems: 5000 },
    )) as Array<{ urgency_score?: unknown }>;
    const counts: Record<string, number> = { Critical: 0, High: 0, Medium: 0, Low: 0 };
    for (const e of entities) {
      const band = urgencySeverity(Number(e.urgency_score ?? 0));
      counts[band === 'Info' ? 'Low' : band] = (counts[band === 'Info' ? 'Low' : band] ?? 0) + 1;
    }
    return Object.entries(counts).map(([label, value]) => metric(label, value));
  }
  // v2.5 lists only hosts with active detections, traffic or key-asset status without `all` (client.ts).
  const q = { all: true, state: 'active', last_detection_timestamp_gte: since };
  const [all, threat, certainty, both] = await Promise.all([
    client.api.count('hosts', q),
    client.api.count('hosts', { ...q, threat_gte: 50 }),
    client.api.count('hosts', { ...q, certainty_gte: 50 }),
    client.api.count('hosts', { ...q, threat_gte: 50, certainty_gte: 50 }),
  ]);
  return [
    metric('Critical', both),
    metric('High', threat - both),
    metric('Medium', certainty - both),
    metric('Low', all - threat - certainty + both),
  ];
}

const cell = (s: string) => escapeMarkdown(s);

async function blocked(client: VectraClient): Promise<string[]> {
  const [hosts, accounts] = await Promise.all([
    client.listHosts({ tags: HOST_BLOCKED_MARKER }, { maxItems: MAX_ROWS }),
    client.listAccounts({ tags: ACCOUNT_BLOCKED_MARKER }, { maxItems: MAX_ROWS }),
  ]);
  const rows = [...hosts, ...accounts] as Array<VectraHost | VectraAccount>;
  if (rows.length === 0) return [`No hosts or accounts are currently blocked through ${VENDOR} tags.`];
  const ui = client.cfg.uiUrl;
  return [
    '| Type | Name | Blocked by | Last detection |',
    '| --- | --- | --- | --- |',
    ...rows.slice(0, MAX_ROWS).map((o) => {
      const by = Object.keys(o.blockedElements).join(', ') || 'unknown';
      // The id goes into a link target: only digits may (the brain's ids are integers).
      const url = `${ui}/${o.kind}s/${encodeURIComponent(String(o.id))}`;
      return `| ${o.kind} | [${cell(o.name || String(o.id))}](${url}) | ${cell(by)} | ${markdownDate(o.lastDetectionTimestamp)} |`;
    }),
  ];
}

export { BLOCKED_TILE, listTiles, QUADRANT_TILE, TILE_PERIODS } from './catalog.js';
