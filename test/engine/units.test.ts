/** Pure parts: policy, set algebra, window, static IP diff and stores, lock, entry-point inputs. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BlockReason, computeSets, passes } from '../../src/engine/algebra.js';
import { parseClaimsJson, parseDryRun } from '../../src/engine/entry.js';
import { acquireLock, LockBusyError } from '../../src/engine/lock.js';
import { DEFAULT_POLICY, PolicyError, parsePolicy, parsePolicyJson } from '../../src/engine/policy.js';
import { fileStaticIpStore, planStaticIps } from '../../src/engine/static-ips.js';
import { inBlockingWindow } from '../../src/engine/window.js';
import { parseCli } from '../../src/handlers/engine-cli.js';
import type { VectraClient } from '../../src/vendors/vectra/client.js';
import { vectraGroupStaticIpStore } from '../../src/vendors/vectra/var-port.js';

describe('policy', () => {
  it("has VAR's defaults and accepts the tuple and object forms", () => {
    expect(DEFAULT_POLICY).toMatchObject({
      BLOCK_HOST_TAG: 'vectra_host_block',
      UNBLOCK_HOST_TAG: 'vectra_host_unblock',
      NO_BLOCK_HOST_GROUP_NAME: 'NoBlock',
      BLOCK_HOST_GROUP_NAME: 'Block',
      BLOCK_HOST_THREAT_CERTAINTY: { threat: 100, condition: 'and', certainty: 100 },
      BLOCK_HOST_URGENCY: 101,
      EXTERNAL_BLOCK_DETECTION_TAG: 'block',
      EXPLICIT_UNBLOCK: false,
      SLEEP_MINUTES: 5,
      MAX_NEW_BLOCKS_PER_RUN: 10,
    });
    const p = parsePolicy({ BLOCK_HOST_THREAT_CERTAINTY: [50, 'OR', 60], EXTERNAL_BLOCK_HOST_TC: null });
    expect(p.BLOCK_HOST_THREAT_CERTAINTY).toEqual({ threat: 50, condition: 'or', certainty: 60 });
    expect(p.EXTERNAL_BLOCK_HOST_TC).toBeNull();
  });

  it('rejects unknown keys, bad scores, bad IPs and bad JSON, naming them', () => {
    expect(() => parsePolicy({ BLOCK_HOST_TAGS: 'x' })).toThrow(/unknown key\(s\) BLOCK_HOST_TAGS/);
    expect(() => parsePolicy({ BLOCK_HOST_THREAT_CERTAINTY: [101, 'and', 5] })).toThrow(
      /BLOCK_HOST_THREAT_CERTAINTY/,
    );
    expect(() => parsePolicy({ STATIC_BLOCK_DESTINATION_IPS: ['10.0.0.0/33'] })).toThrow(/IPv4\/IPv6/);
    expect(() => parsePolicy({ BLOCK_TIMEZONE: 'Mars/Olympus' })).toThrow(/IANA/);
    expect(() => parsePolicyJson('{')).toThrow(PolicyError);
  });

  it('parses every example policy', async () => {
    const files = (await readdir('examples')).filter((f) => /^policy.*\.json$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const text = await readFile(join('examples', f), 'utf8');
      expect(() => parsePolicyJson(text), f).not.toThrow();
    }
  });
});

describe('set algebra', () => {
  const o = (id: number) => ({ id });
  it('to_block = (matching − blocked) − no_block; to_unblock = blocked − matching ∪ wrongly_blocked', () => {
    const r = computeSets({
      matching: new Map<number, Set<BlockReason>>([
        [1, new Set(['tag'])],
        [2, new Set(['group', 'score'])],
        [3, new Set(['tag'])],
        [5, new Set(['tag'])],
      ]),
      blocked: [o(2), o(4), o(5)],
      noBlock: new Set([3, 5]),
      unblockTagged: null,
      groom: true,
    });
    expect([...r.toBlock]).toEqual([[1, ['tag']]]);
    expect(r.toUnblock.map((u) => [u.object.id, u.reason])).toEqual([
      [4, 'no-longer-matching'],
      [5, 'no-block'],
    ]);
    expect(r.wronglyBlocked).toEqual([5]);
    expect(r.toGroom).toEqual([o(2)]);
  });

  it('explicit unblock: only unblock-tagged objects, and they are never blocked the same run', () => {
    const r = computeSets({
      matching: new Map([[1, new Set(['tag' as const])]]),
      blocked: [o(2)],
      noBlock: new Set(),
      unblockTagged: [o(1)],
    });
    expect(r.toBlock.size).toBe(0);
    expect(r.toUnblock.map((u) => [u.object.id, u.reason])).toEqual([[1, 'explicit-unblock']]);
  });

  it('strict > versus >=', () => {
    const tc = { threat: 50, condition: 'and' as const, certainty: 50 };
    expect(passes({ threat: 50, certainty: 50 }, tc, false)).toBe(true);
    expect(passes({ threat: 50, certainty: 50 }, tc, true)).toBe(false);
    expect(passes({ threat: 51, certainty: 0 }, { ...tc, condition: 'or' }, true)).toBe(true);
  });
});

describe('blocking window', () => {
  const w = (over: object) => ({ ...DEFAULT_POLICY, ...over });
  it('default is always; start > end wraps past midnight; days by name and class', () => {
    expect(inBlockingWindow(DEFAULT_POLICY, new Date('2025-11-29T03:00:00Z'))).toBe(true);
    const night = w({ BLOCK_START_TIME: 22, BLOCK_END_TIME: 6 });
    expect(inBlockingWindow(night, new Date('2025-11-24T23:30:00Z'))).toBe(true);
    expect(inBlockingWindow(night, new Date('2025-11-24T05:59:00Z'))).toBe(true);
    expect(inBlockingWindow(night, new Date('2025-11-24T06:00:00Z'))).toBe(false);
    expect(inBlockingWindow(w({ BLOCK_DAYS: 'weekend' }), new Date('2025-11-30T12:00:00Z'))).toBe(true);
    expect(inBlockingWindow(w({ BLOCK_DAYS: ['monday'] }), new Date('2025-11-25T12:00:00Z'))).toBe(false);
  });
  it('uses BLOCK_TIMEZONE', () => {
    const p = w({ BLOCK_START_TIME: 9, BLOCK_END_TIME: 17, BLOCK_TIMEZONE: 'America/New_York' });
    expect(inBlockingWindow(p, new Date('2025-11-24T15:00:00Z'))).toBe(true); // 10:00 in New York
    expect(inBlockingWindow(p, new Date('2025-11-24T10:00:00Z'))).toBe(false); // 05:00 in New York
  });
});

describe('static destination IPs', () => {
  it('to_block = desired − current, to_unblock = current − desired (canonical spelling)', () => {
    expect(
      planStaticIps(['10.0.0.1/32', '192.0.2.0/24', '2001:DB8::1'], ['10.0.0.1', '198.51.100.7']),
    ).toEqual({
      desired: ['10.0.0.1/32', '192.0.2.0/24', '2001:db8::1/128'],
      current: ['10.0.0.1/32', '198.51.100.7/32'],
      toBlock: ['192.0.2.0/24', '2001:db8::1/128'],
      toUnblock: ['198.51.100.7/32'],
    });
  });

  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'engine-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('file store: missing file is empty; writes one entry per line', async () => {
    const store = fileStaticIpStore(join(dir, 'state'));
    expect(await store.read()).toEqual([]);
    await store.write(['192.0.2.1', '198.51.100.0/24']);
    expect(await readFile(join(dir, 'state'), 'utf8')).toBe('192.0.2.1\n198.51.100.0/24\n');
    expect(await store.read()).toEqual(['192.0.2.1', '198.51.100.0/24']);
  });

  it('Vectra group store: reads and replaces the ip group through the client; never creates an empty one', async () => {
    const calls: Array<[string, string, readonly (string | number)[]]> = [];
    let members: string[] = [];
    const client = {
      getGroupMembers: async (name: string, type: string) => {
        expect([name, type]).toEqual(['VAR Static Blocked IPs', 'ip']);
        return [...members];
      },
      setGroupMembers: async (name: string, type: string, list: readonly string[], opts: object) => {
        expect(opts).toMatchObject({ description: expect.stringContaining('relay engine') });
        calls.push([name, type, list]);
        members = [...list];
      },
    };
    const store = vectraGroupStaticIpStore(client as unknown as VectraClient, 'VAR Static Blocked IPs');
    expect(await store.read()).toEqual([]);
    await store.write([]);
    await store.write(['192.0.2.1']);
    expect(await store.read()).toEqual(['192.0.2.1']);
    await store.write([]);
    expect(calls).toEqual([
      ['VAR Static Blocked IPs', 'ip', ['192.0.2.1']],
      ['VAR Static Blocked IPs', 'ip', []],
    ]);
  });

  it('lock file: a live owner refuses a second run; a dead owner is taken over', async () => {
    const path = join(dir, 'lock');
    const release = await acquireLock(path);
    await expect(acquireLock(path)).rejects.toBeInstanceOf(LockBusyError);
    await release();
    await writeFile(path, '999999999\n');
    const again = await acquireLock(path);
    // The lock holds a token: our pid and a random nonce (lock.test.ts).
    expect((await readFile(path, 'utf8')).trim()).toMatch(new RegExp(`^${process.pid} [0-9a-f]{32}$`));
    await again();
  });
});

describe('entry-point inputs', () => {
  it('dry run is the default; only an explicit false switches it off', () => {
    expect(parseDryRun(undefined)).toBe(true);
    expect(parseDryRun('')).toBe(true);
    expect(parseDryRun('TRUE')).toBe(true);
    expect(parseDryRun('false')).toBe(false);
    expect(parseDryRun('0')).toBe(false);
    expect(() => parseDryRun('flase')).toThrow(/ENGINE_DRY_RUN/);
  });

  it('claims JSON: flat strings; never echoes the secret text', () => {
    expect(parseClaimsJson('{"vectra_url":"https://b","n":5,"x":null}', 's')).toEqual({
      vectra_url: 'https://b',
      n: '5',
    });
    expect(() => parseClaimsJson('{"vectra_client_secret": "hunter2"', 'The engine secret')).toThrow(
      /^The engine secret is not valid JSON$/,
    );
    expect(() => parseClaimsJson('{"a":{"b":1}}', 's')).toThrow(/claim a must be a string/);
  });

  it('CLI arguments', () => {
    expect(parseCli(['--policy', 'p.json'])).toMatchObject({ policy: 'p.json', dryRun: true, loop: false });
    expect(
      parseCli(['--policy', 'p.json', '--no-dry-run', '--loop', '--interval-minutes', '2']),
    ).toMatchObject({
      dryRun: false,
      loop: true,
      intervalMinutes: 2,
    });
    expect(() => parseCli([])).toThrow(/--policy/);
    expect(() => parseCli(['--policy', 'p', '--once', '--loop'])).toThrow(/exclude/);
    expect(() => parseCli(['--policy', 'p', '--interval-minutes', '0'])).toThrow(/interval/);
    expect(() => parseCli(['--policy', 'p', '--bogus'])).toThrow();
  });
});
