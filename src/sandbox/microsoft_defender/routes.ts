/**
 * The fake Defender API's routes: paths, the documented `$filter` fields per
 * collection, `$top` limits, the permission each call needs, and the answers'
 * shapes (`{"@odata.context", "value": [...]}` for collections, 201 for new
 * machine actions).
 */
import { DefenderFault, type DefenderStore, type FakeAction, type FakeMachine } from './model.js';

export interface RouteAnswer {
  readonly status: number;
  readonly json: unknown;
}

/** `$filter` fields each collection supports (Defender's "List machines" and "List MachineActions" pages). */
const FILTERABLE: Record<string, readonly string[]> = {
  machines: [
    'computerDnsName',
    'id',
    'version',
    'deviceValue',
    'aadDeviceId',
    'machineTags',
    'lastSeen',
    'exposureLevel',
    'onboardingStatus',
    'lastIpAddress',
    'healthStatus',
    'osPlatform',
    'riskScore',
    'rbacGroupId',
  ],
  machineactions: ['id', 'status', 'machineId', 'type', 'requestor', 'creationDateTimeUtc'],
  indicators: [
    'id',
    'indicatorValue',
    'indicatorType',
    'creationTimeDateTimeUtc',
    'createdBy',
    'action',
    'severity',
  ],
};

/** `a eq 'x' and b eq 'y'`: the subset of OData the relay uses; anything else is an ODataError. */
export function parseFilter(
  collection: string,
  raw: string | null,
): ((o: Record<string, unknown>) => boolean) | undefined {
  if (raw === null) return undefined;
  const clauses = raw.split(/\s+and\s+/i).map((c) => {
    const m = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(c);
    if (!m) throw new DefenderFault('ODataError', `Invalid OData URI query: ${raw.slice(0, 80)}`);
    const [, field = '', value = ''] = m;
    if (!FILTERABLE[collection]?.includes(field)) {
      throw new DefenderFault(
        'ODataError',
        `Invalid OData URI query: filtering on ${field} is not supported.`,
      );
    }
    return { field, value: value.replace(/''/g, "'") };
  });
  return (o) => clauses.every((c) => String(o[c.field] ?? '').toLowerCase() === c.value.toLowerCase());
}

function top(url: URL): number {
  const raw = url.searchParams.get('$top');
  if (raw === null) return 10_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 10_000)
    throw new DefenderFault('ODataError', 'Invalid OData URI query: $top must be 0-10000.');
  return n;
}

function skip(url: URL): number {
  const raw = url.searchParams.get('$skip');
  const n = raw === null ? 0 : Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new DefenderFault('ODataError', 'Invalid OData URI query: $skip must be a non-negative integer.');
  return n;
}

/** One page: `$skip` then `$top`. */
const page = <T>(list: T[], url: URL): T[] => list.slice(skip(url), skip(url) + top(url));

const needs = (roles: Set<string>, ...any: string[]) => {
  if (!any.some((r) => roles.has(r))) throw new DefenderFault('Forbidden', 'Forbidden', 403);
};

const machineJson = (m: FakeMachine) => ({
  id: m.id,
  computerDnsName: m.computerDnsName,
  firstSeen: m.lastSeen,
  lastSeen: m.lastSeen,
  osPlatform: m.osPlatform,
  version: m.version,
  lastIpAddress: m.lastIpAddress,
  healthStatus: m.healthStatus,
  onboardingStatus: 'Onboarded',
  machineTags: [],
});

const actionJson = ({ dueAt: _, ...a }: FakeAction) => ({ ...a, relatedFileInfo: null });

const collection = (name: string, value: unknown[]) => ({
  status: 200,
  json: { '@odata.context': `https://api.securitycenter.microsoft.com/api/$metadata#${name}`, value },
});

const ACTION_VERBS: Record<string, { type: string; role: string }> = {
  isolate: { type: 'Isolate', role: 'Machine.Isolate' },
  unisolate: { type: 'Unisolate', role: 'Machine.Isolate' },
  runAntiVirusScan: { type: 'RunAntiVirusScan', role: 'Machine.Scan' },
  restrictCodeExecution: { type: 'RestrictCodeExecution', role: 'Machine.RestrictExecution' },
  unrestrictCodeExecution: { type: 'UnrestrictCodeExecution', role: 'Machine.RestrictExecution' },
  collectInvestigationPackage: { type: 'CollectInvestigationPackage', role: 'Machine.CollectForensics' },
};

type Handler = (
  args: { store: DefenderStore; roles: Set<string>; url: URL; body: Record<string, unknown> },
  id: string,
  verb: string,
) => RouteAnswer;

const READ = ['Machine.Read.All', 'Machine.ReadWrite.All'];
const TI = ['Ti.ReadWrite', 'Ti.ReadWrite.All'];

const ROUTES: readonly [string, RegExp, Handler][] = [
  [
    'GET',
    /^\/api\/machines$/,
    ({ store, roles, url }) => {
      needs(roles, ...READ);
      const f = parseFilter('machines', url.searchParams.get('$filter'));
      const list = [...store.machines.values()].map(machineJson).filter((x) => !f || f(x));
      return collection('Machines', page(list, url));
    },
  ],
  [
    'GET',
    /^\/api\/machines\/([^/]+)$/,
    ({ store, roles }, id) => {
      needs(roles, ...READ);
      return { status: 200, json: machineJson(store.machine(id)) };
    },
  ],
  [
    'POST',
    /^\/api\/machines\/([^/]+)\/(\w+)$/,
    ({ store, roles, body }, id, name) => {
      const verb = ACTION_VERBS[name];
      if (!verb) throw new DefenderFault('NotFound', 'Not Found', 404);
      needs(roles, verb.role);
      return { status: 201, json: actionJson(store.request(id, verb.type, body, 'vectra-relay-app')) };
    },
  ],
  [
    'GET',
    /^\/api\/machineactions$/,
    ({ store, roles, url }) => {
      needs(roles, ...READ);
      const f = parseFilter('machineactions', url.searchParams.get('$filter'));
      const list = store.actions
        .map(actionJson)
        .filter((x) => !f || f(x))
        .reverse();
      return collection('MachineActions', page(list, url));
    },
  ],
  [
    'GET',
    /^\/api\/machineactions\/([^/]+)$/,
    ({ store, roles }, id) => {
      needs(roles, ...READ);
      const a = store.actions.find((x) => x.id === id);
      if (!a) throw new DefenderFault('ResourceNotFound', `Machine action ${id} was not found`, 404);
      return { status: 200, json: actionJson(a) };
    },
  ],
  [
    'POST',
    /^\/api\/machineactions\/([^/]+)\/cancel$/,
    ({ store, roles, body }, id) => {
      const a = store.actions.find((x) => x.id === id);
      needs(roles, Object.values(ACTION_VERBS).find((v) => v.type === a?.type)?.role ?? 'Machine.Isolate');
      return { status: 200, json: actionJson(store.cancel(id, body)) };
    },
  ],
  [
    'GET',
    /^\/api\/indicators$/,
    ({ store, roles, url }) => {
      needs(roles, ...TI, 'Ti.Read.All');
      const f = parseFilter('indicators', url.searchParams.get('$filter'));
      const list = [...store.indicators.values()].filter(
        (x) => !f || f(x as unknown as Record<string, unknown>),
      );
      return collection('Indicators', page(list, url));
    },
  ],
  [
    'POST',
    /^\/api\/indicators$/,
    ({ store, roles, body }) => {
      needs(roles, ...TI);
      return { status: 200, json: store.submitIndicator(body, 'vectra-relay-app').indicator };
    },
  ],
  [
    'POST',
    /^\/api\/indicators\/BatchDelete$/,
    ({ store, roles, body }) => {
      needs(roles, ...TI);
      store.batchDelete(body);
      return { status: 204, json: null };
    },
  ],
];

export function route(
  store: DefenderStore,
  roles: Set<string>,
  method: string,
  url: URL,
  body: Record<string, unknown>,
): RouteAnswer {
  const path = url.pathname.replace(/\/+$/, '');
  for (const [m, re, handler] of ROUTES) {
    const hit = m === method ? re.exec(path) : null;
    if (hit) return handler({ store, roles, url, body }, decodeURIComponent(hit[1] ?? ''), hit[2] ?? '');
  }
  throw new DefenderFault('NotFound', 'Not Found', 404);
}
