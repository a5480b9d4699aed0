import { describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import type { FakeBrain } from '../../../src/sandbox/vectra-brain/index.js';
import { memberPayload } from '../../../src/vendors/vectra/groups.js';
import { apiCalls, clientFor, type Flavour, useFreshBrain } from './helpers.js';

let brain: FakeBrain;
useFreshBrain((b) => {
  brain = b;
});

const writes = () => apiCalls(brain).filter((r) => r.method !== 'GET');
const stored = (name: string, type: string) =>
  [...brain.state.groups.values()].filter((g) => g.name === name && g.type === type);

describe.each(['v2.5', 'v3'] as Flavour[])('VectraClient group writes (%s)', (flavour) => {
  it('creates a missing ip group, then replaces its members, then writes nothing when equal', async () => {
    const client = clientFor(brain, flavour);
    expect(await client.getGroupMembers('Static', 'ip')).toEqual([]);
    expect(await client.setGroupMembers('Static', 'ip', ['192.0.2.1'], { description: 'relay' })).toBe(
      'created',
    );
    expect(stored('Static', 'ip')).toEqual([
      expect.objectContaining({ description: 'relay', importance: 'medium', members: ['192.0.2.1'] }),
    ]);
    expect(await client.setGroupMembers('Static', 'ip', ['192.0.2.2', '198.51.100.0/24'])).toBe('updated');
    expect(await client.getGroupMembers('Static', 'ip')).toEqual(['192.0.2.2', '198.51.100.0/24']);
    // Same set in another order: nothing to write.
    expect(await client.setGroupMembers('Static', 'ip', ['198.51.100.0/24', '192.0.2.2'])).toBe('unchanged');
    expect(writes().map((r) => r.method)).toEqual(['POST', 'PATCH']);
    expect(stored('Static', 'ip')).toHaveLength(1);
  });

  it('matches the name exactly and the type too, although the API filter is fuzzy', async () => {
    brain.addGroup({ name: 'Static IPs old', type: 'ip', members: ['192.0.2.9'] });
    brain.addGroup({ name: 'static', type: 'ip', members: ['192.0.2.8'] });
    brain.addGroup({ name: 'Static', type: 'domain', members: ['x.example'] });
    const client = clientFor(brain, flavour);
    expect(await client.getGroupMembers('Static', 'ip')).toEqual([]);
    expect(await client.setGroupMembers('Static', 'ip', ['192.0.2.1'])).toBe('created');
    expect(await client.getGroupMembers('Static', 'ip')).toEqual(['192.0.2.1']);
    expect(await client.getGroupMembers('Static', 'domain')).toEqual(['x.example']);
    expect(stored('Static IPs old', 'ip')[0]?.members).toEqual(['192.0.2.9']);
  });

  it('writes host ids and account uids, and reads host groups back through groupMembers', async () => {
    const a = brain.addHost({ name: 'a' }).id;
    const b = brain.addHost({ name: 'b' }).id;
    const client = clientFor(brain, flavour);
    await client.setGroupMembers('Block', 'host', [a]);
    expect(await client.setGroupMembers('Block', 'host', [String(b), a])).toBe('updated');
    expect(await client.groupMembers('Block', 'host')).toEqual([b, a]);
    expect(await client.setGroupMembers('Block', 'host', [b, a])).toBe('unchanged');
    await client.setGroupMembers('VIP', 'account', ['ceo@corp.example']);
    expect(await client.setGroupMembers('VIP', 'account', ['ceo@corp.example'])).toBe('unchanged');
    expect(stored('VIP', 'account')[0]?.members).toEqual(['ceo@corp.example']);
  });

  it('patches a group that another writer created between the lookup and the POST', async () => {
    const client = clientFor(brain, flavour);
    const off = brain.hook((r) => {
      if (r.method === 'GET' && r.path.endsWith('/groups') && brain.state.groups.size === 0) {
        brain.addGroup({ name: 'Static', type: 'ip', members: ['192.0.2.7'] });
      }
    });
    try {
      expect(await client.setGroupMembers('Static', 'ip', ['192.0.2.1'])).toBe('updated');
    } finally {
      off();
    }
    expect(writes().map((r) => [r.method, r.status])).toEqual([
      ['POST', 409],
      ['PATCH', 200],
    ]);
    expect(stored('Static', 'ip').map((g) => g.members)).toEqual([['192.0.2.1']]);
  });

  it('refuses what the API would refuse, before sending it; API errors are RelayErrors', async () => {
    const client = clientFor(brain, flavour);
    await expect(client.setGroupMembers('D', 'domain', [])).rejects.toMatchObject({
      code: 'invalid argument',
    });
    await expect(client.setGroupMembers('H', 'host', ['srv-1'])).rejects.toBeInstanceOf(RelayError);
    await expect(client.setGroupMembers(' ', 'ip', ['192.0.2.1'])).rejects.toBeInstanceOf(RelayError);
    expect(writes()).toEqual([]);
    // The brain validates ip members: its 400 arrives as a RelayError.
    await expect(client.setGroupMembers('I', 'ip', ['not-an-ip'])).rejects.toBeInstanceOf(RelayError);
    brain.inject({ path: '/groups', method: 'PATCH', status: 403 });
    brain.addGroup({ name: 'P', type: 'ip', members: [] });
    await expect(client.setGroupMembers('P', 'ip', ['192.0.2.1'])).rejects.toMatchObject({
      name: 'RelayError',
    });
  });
});

describe('memberPayload', () => {
  it('normalises members per type and drops duplicates, order kept', () => {
    expect(memberPayload('host', [3, '1', 3])).toEqual([3, 1]);
    expect(memberPayload('ip', [' 192.0.2.1 ', '192.0.2.1', '10.0.0.0/8'])).toEqual([
      '192.0.2.1',
      '10.0.0.0/8',
    ]);
    expect(memberPayload('account', ['u1'])).toEqual(['u1']);
    expect(() => memberPayload('host', [0])).toThrow(RelayError);
    expect(() => memberPayload('domain', [''])).toThrow(/empty domain group member/);
  });
});
