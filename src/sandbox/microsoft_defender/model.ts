/**
 * The fake Defender tenant's state: machines, machine actions and indicators,
 * with the product's rules (see README.md for the source of each): actions
 * are asynchronous (`Pending` until the sensor checks in, then `Succeeded`),
 * one active request per action type and machine, OS limits of isolation and
 * app restriction, Comment required, indicator validation and the 15,000
 * indicator limit.
 */
import { createHash, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';

export class DefenderFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface FakeMachine {
  id: string;
  computerDnsName: string;
  osPlatform: string;
  version: string | null;
  lastIpAddress: string;
  healthStatus: 'Active' | 'Inactive' | 'ImpairedCommunication' | 'NoSensorData';
  lastSeen: string;
  /** An offline sensor never picks up its actions. */
  online: boolean;
  isolated: false | 'Full' | 'Selective';
  restricted: boolean;
}

export interface FakeAction {
  id: string;
  type: string;
  scope: string | null;
  requestor: string;
  requestorComment: string;
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';
  machineId: string;
  computerDnsName: string;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  cancellationComment: string | null;
  /** Epoch ms at which the sensor completes it (when online). */
  dueAt: number;
}

export interface FakeIndicator {
  id: string;
  indicatorValue: string;
  indicatorType: string;
  action: string;
  title: string;
  description: string;
  severity: string | null;
  generateAlert: boolean;
  createdBy: string;
}

export const INDICATOR_LIMIT = 15_000;
const INDICATOR_TYPES = [
  'FileSha1',
  'FileSha256',
  'FileMd5',
  'CertificateThumbprint',
  'IpAddress',
  'DomainName',
  'Url',
];
const INDICATOR_ACTIONS = [
  'Alert',
  'Warn',
  'Block',
  'Audit',
  'BlockAndRemediate',
  'AlertAndBlock',
  'Allowed',
];
const ACTIVE = new Set(['Pending', 'InProgress']);

export const machineIdFor = (name: string): string =>
  createHash('sha1').update(`fake-mde:${name}`).digest('hex');

export function makeMachine(
  over: Partial<FakeMachine> & { computerDnsName: string; lastIpAddress: string },
): FakeMachine {
  return {
    id: machineIdFor(over.computerDnsName),
    osPlatform: 'Windows11',
    version: '22H2',
    healthStatus: 'Active',
    lastSeen: new Date().toISOString(),
    online: true,
    isolated: false,
    restricted: false,
    ...over,
  };
}

/** Windows 10 versions as numbers (1709, 20H2 → 2010). */
const winVersion = (v: string | null): number =>
  !v
    ? 0
    : /^\d{4}$/.test(v)
      ? Number(v)
      : /^(\d{2})H([12])$/i.test(v)
        ? Number(v.slice(0, 2)) * 100 + (v.endsWith('1') ? 4 : 10)
        : 0;

/** Is the action supported on the machine's OS? Throws Defender's 400 when not. */
function checkOs(m: FakeMachine, type: string, scope: string | null): void {
  const os = m.osPlatform;
  const win = (min: number) => {
    if (os === 'Windows11') return;
    if (os !== 'Windows10')
      throw new DefenderFault(
        'OsPlatformNotSupported',
        `OS Platform ${os} is not supported for this action.`,
      );
    if (winVersion(m.version) < min) {
      throw new DefenderFault(
        'ClientVersionNotSupported',
        `${type} is supported on client version ${min} and above.`,
      );
    }
  };
  if (type === 'Isolate') {
    if (scope === 'Full' && os === 'Linux') return;
    win(scope === 'Selective' ? 1709 : 1703);
  }
  if (type === 'RestrictCodeExecution' || type === 'UnrestrictCodeExecution') win(1709);
}

export class DefenderStore {
  readonly machines = new Map<string, FakeMachine>();
  readonly actions: FakeAction[] = [];
  readonly indicators = new Map<string, FakeIndicator>();
  private nextIndicator = 1;

  constructor(public jobMs: number) {}

  add(m: FakeMachine): FakeMachine {
    this.machines.set(m.id, m);
    return m;
  }

  machine(id: string): FakeMachine {
    const m = this.machines.get(id);
    if (!m) throw new DefenderFault('ResourceNotFound', `Machine ${id} was not found`, 404);
    return m;
  }

  /** Records an action someone else took (seeding the scenario). */
  seedAction(
    machineId: string,
    type: string,
    requestor: string,
    requestorComment: string,
    status: FakeAction['status'] = 'Succeeded',
  ): FakeAction {
    const m = this.machine(machineId);
    const now = new Date().toISOString();
    const a: FakeAction = {
      id: randomUUID(),
      type,
      scope: type === 'Isolate' ? 'Full' : null,
      requestor,
      requestorComment,
      status,
      machineId,
      computerDnsName: m.computerDnsName,
      creationDateTimeUtc: now,
      lastUpdateDateTimeUtc: now,
      cancellationComment: null,
      dueAt: Date.now() + this.jobMs,
    };
    if (status === 'Succeeded' && type === 'Isolate') m.isolated = 'Full';
    this.actions.push(a);
    return a;
  }

  /** Completes every due action of an online machine (or all with `force`, as `settle()`). */
  tick(now = Date.now(), force = false): void {
    for (const a of this.actions) {
      if (!ACTIVE.has(a.status)) continue;
      const m = this.machines.get(a.machineId);
      if (!m?.online || (!force && a.dueAt > now)) continue;
      a.status = 'Succeeded';
      a.lastUpdateDateTimeUtc = new Date(now).toISOString();
      if (a.type === 'Isolate') m.isolated = (a.scope as 'Full' | 'Selective') ?? 'Full';
      if (a.type === 'Unisolate') m.isolated = false;
      if (a.type === 'RestrictCodeExecution') m.restricted = true;
      if (a.type === 'UnrestrictCodeExecution') m.restricted = false;
    }
  }

  /** A new machine action, with the product's checks. */
  request(machineId: string, type: string, body: Record<string, unknown>, requestor: string): FakeAction {
    const m = this.machine(machineId);
    const commentText = body.Comment;
    if (typeof commentText !== 'string' || commentText.trim() === '') {
      throw new DefenderFault('MissingRequiredParameter', 'Parameter Comment is missing.');
    }
    let scope: string | null = null;
    if (type === 'Isolate') {
      scope = body.IsolationType === undefined ? 'Full' : String(body.IsolationType);
      if (scope !== 'Full' && scope !== 'Selective')
        throw new DefenderFault('InvalidInput', `Invalid input IsolationType ${scope}.`);
    }
    if (type === 'RunAntiVirusScan') {
      scope = body.ScanType === undefined ? 'Quick' : String(body.ScanType);
      if (scope !== 'Quick' && scope !== 'Full')
        throw new DefenderFault('InvalidInput', `Invalid input ScanType ${scope}.`);
    }
    checkOs(m, type, scope);
    const pair = type === 'Isolate' || type === 'Unisolate' ? ['Isolate', 'Unisolate'] : [type];
    if (this.actions.some((a) => a.machineId === m.id && pair.includes(a.type) && ACTIVE.has(a.status))) {
      throw new DefenderFault('ActiveRequestAlreadyExists', 'Action is already in progress');
    }
    // Undocumented (README.md, "Unknown"): isolating an isolated machine (or releasing a free one). The fake refuses.
    if (type === 'Isolate' && m.isolated)
      throw new DefenderFault('BadRequest', 'Machine is already isolated.');
    if (type === 'Unisolate' && !m.isolated)
      throw new DefenderFault('BadRequest', 'Machine is not isolated.');
    const now = new Date().toISOString();
    const a: FakeAction = {
      id: randomUUID(),
      type,
      scope,
      requestor,
      requestorComment: commentText,
      status: 'Pending',
      machineId: m.id,
      computerDnsName: m.computerDnsName,
      creationDateTimeUtc: now,
      lastUpdateDateTimeUtc: now,
      cancellationComment: null,
      dueAt: Date.now() + this.jobMs,
    };
    this.actions.push(a);
    return a;
  }

  cancel(id: string, body: Record<string, unknown>): FakeAction {
    const a = this.actions.find((x) => x.id === id);
    if (!a) throw new DefenderFault('ResourceNotFound', `Machine action ${id} was not found`, 404);
    if (typeof body.Comment !== 'string' || body.Comment.trim() === '') {
      throw new DefenderFault('MissingRequiredParameter', 'Parameter Comment is missing.');
    }
    // Undocumented (README.md, "Unknown"): the exact answer for an action already final. The fake refuses.
    if (!ACTIVE.has(a.status)) throw new DefenderFault('BadRequest', 'Action is already in a final state.');
    a.status = 'Cancelled';
    a.cancellationComment = body.Comment;
    a.lastUpdateDateTimeUtc = new Date().toISOString();
    return a;
  }

  /** Submit-or-update: one indicator per value and type. */
  submitIndicator(
    body: Record<string, unknown>,
    createdBy: string,
  ): { indicator: FakeIndicator; created: boolean } {
    const value = body.indicatorValue;
    const type = body.indicatorType;
    const action = body.action;
    if (typeof value !== 'string' || value === '')
      throw new DefenderFault('MissingRequiredParameter', 'Parameter indicatorValue is missing.');
    if (typeof type !== 'string' || !INDICATOR_TYPES.includes(type))
      throw new DefenderFault('InvalidInput', `Invalid input indicatorType ${String(type)}.`);
    if (typeof action !== 'string' || !INDICATOR_ACTIONS.includes(action))
      throw new DefenderFault('InvalidInput', `Invalid input action ${String(action)}.`);
    for (const k of ['title', 'description']) {
      if (typeof body[k] !== 'string' || body[k] === '')
        throw new DefenderFault('MissingRequiredParameter', `Parameter ${k} is missing.`);
    }
    validateValue(type, value);
    const existing = [...this.indicators.values()].find(
      (i) => i.indicatorType === type && i.indicatorValue.toLowerCase() === value.toLowerCase(),
    );
    if (!existing && this.indicators.size >= INDICATOR_LIMIT) {
      throw new DefenderFault('BadRequest', `The tenant already holds ${INDICATOR_LIMIT} indicators.`);
    }
    const indicator: FakeIndicator = {
      id: existing?.id ?? String(this.nextIndicator++),
      indicatorValue: value,
      indicatorType: type,
      action,
      title: String(body.title),
      description: String(body.description),
      severity: typeof body.severity === 'string' ? body.severity : null,
      generateAlert: body.generateAlert === true,
      createdBy,
    };
    this.indicators.set(indicator.id, indicator);
    return { indicator, created: !existing };
  }

  batchDelete(body: Record<string, unknown>): void {
    const ids = body.IndicatorIds;
    if (!Array.isArray(ids) || ids.length === 0)
      throw new DefenderFault('MissingRequiredParameter', 'Parameter IndicatorIds is missing.');
    if (ids.length > 500)
      throw new DefenderFault(
        'MaximumBatchSizeExceeded',
        `Maximum batch size exceeded. Received: ${ids.length}, allowed: 500.`,
      );
    for (const id of ids) this.indicators.delete(String(id));
  }
}

const HEX = (n: number) => new RegExp(`^[0-9a-fA-F]{${n}}$`);

function validateValue(type: string, value: string): void {
  if (type === 'FileSha1' && !HEX(40).test(value))
    throw new DefenderFault('InvalidHashValue', `Hash value ${value} is invalid.`);
  if (type === 'FileSha256' && !HEX(64).test(value))
    throw new DefenderFault('InvalidHashValue', `Hash value ${value} is invalid.`);
  if (type === 'FileMd5' && !HEX(32).test(value))
    throw new DefenderFault('InvalidHashValue', `Hash value ${value} is invalid.`);
  if (type === 'IpAddress' && (isIP(value) === 0 || !isPublic(value))) {
    throw new DefenderFault('InvalidIpAddress', `IP address ${value} is invalid.`);
  }
  if (
    type === 'DomainName' &&
    !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(value)
  ) {
    throw new DefenderFault('InvalidDomainName', `Domain name ${value} is invalid.`);
  }
  if (type === 'Url') {
    try {
      const u = new URL(value.includes('://') ? value : `http://${value}`);
      if (!u.hostname.includes('.')) throw new Error('no host');
    } catch {
      throw new DefenderFault('InvalidUrl', `URL ${value} is invalid.`);
    }
  }
}

/** Defender takes only external addresses as IP indicators (private, loopback, link-local… refused). */
export function isPublic(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a = 0, b = 0] = ip.split('.').map(Number);
    return !(
      a === 10 ||
      a === 127 ||
      a === 0 ||
      a >= 224 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  const l = ip.toLowerCase();
  return !(
    l === '::1' ||
    l === '::' ||
    l.startsWith('fe80:') ||
    l.startsWith('fc') ||
    l.startsWith('fd') ||
    l.startsWith('ff')
  );
}
