/** Fake FortiGates and a `fortinet` client pointed at them, with a log that records everything. */
import type { BlockClient } from '../../../src/kernel/block-client.js';
import type { IpGuard } from '../../../src/kernel/guard.js';
import type { Logger } from '../../../src/kernel/logger.js';
import type { VectraDetection, VectraHost } from '../../../src/kernel/model.js';
import { type FakeFortiGate, startFakeFortiGate } from '../../../src/sandbox/fortinet/index.js';
import { createBlockClient } from '../../../src/vendors/block-clients.js';
import { FORTINET_CLIENT_NAME } from '../../../src/vendors/fortinet/index.js';
import { makeContext } from '../../helpers/context.js';
import { makeHost } from '../../helpers/objects.js';

export const NAME = FORTINET_CLIENT_NAME;

/** A logger whose every call is kept, to check that no credential is ever logged. */
export function recordingLog(): { log: Logger; lines: unknown[][] } {
  const lines: unknown[][] = [];
  const rec =
    (level: string) =>
    (...args: unknown[]) => {
      lines.push([level, ...args]);
    };
  const log = { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
  return { log: log as unknown as Logger, lines };
}

export function clientFor(
  fgts: readonly FakeFortiGate[],
  extra: Record<string, string> = {},
  log = recordingLog(),
  guard?: IpGuard,
): { client: BlockClient; lines: unknown[][] } {
  const claims = {
    block_clients: 'fortinet',
    fortinet_url: fgts.map((f) => f.url).join(','),
    fortinet_api_key: fgts.map((f) => f.apiKey).join(','),
    ...extra,
  };
  const ctx = makeContext({ claims, log: log.log, ...(guard ? { guard } : {}) });
  return { client: createBlockClient('fortinet', ctx), lines: log.lines };
}

export const start = (opts: Parameters<typeof startFakeFortiGate>[0] = {}) => startFakeFortiGate(opts);

export const host = (over: Partial<VectraHost> = {}): VectraHost =>
  makeHost({ id: 42, name: 'wks-42', ip: '198.51.100.42', ...over });

export const detection = (dstIps: string[], over: Partial<VectraDetection> = {}): VectraDetection => ({
  kind: 'detection',
  id: 9001,
  hostId: 42,
  accountId: null,
  category: 'command & control',
  detectionType: 'Hidden HTTPS Tunnel',
  src: '10.0.0.42',
  dstIps,
  dstDomains: [],
  state: 'active',
  threat: 80,
  certainty: 80,
  isTriaged: false,
  firstTimestamp: null,
  lastTimestamp: null,
  srcHostName: 'wks-42',
  srcAccountName: null,
  allTags: [],
  tags: [],
  blockedElements: {},
  pendingElements: {},
  clientRestrictions: [],
  ...over,
});

/** Member names of a group on a fake. */
export const members = (
  f: FakeFortiGate,
  group: string,
  table: 'addrgrp' | 'addrgrp6' = 'addrgrp',
): string[] =>
  ((f.state.get('root', table, group).member as Array<{ name: string }>) ?? []).map((m) => m.name);

export const hasAddress = (
  f: FakeFortiGate,
  name: string,
  table: 'address' | 'address6' = 'address',
): boolean => f.state.vdom('root').tables[table].has(name);

/** Write calls (anything but GET) the client made. */
export const writes = (f: FakeFortiGate) => f.calls.filter((c) => c.method !== 'GET');

/** A guard for which every element is held by detection 9001 (the static list's unblock must keep it). */
export const heldByDetection: IpGuard = {
  isNoBlockHost: async () => false,
  isNoBlockAccount: async () => false,
  protectedHosts: async () => [],
  holders: async () => [{ kind: 'detection', id: 9001, label: 'detection 9001' }],
};
