import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeBrain, startFakeBrain } from '../../../src/sandbox/vectra-brain/index.js';

let brain: FakeBrain;
let bearer = '';
beforeEach(async () => {
  brain = await startFakeBrain({ apiToken: 'groups-token-1234567890', clients: { cid: 'csecret' } });
  const res = await fetch(`${brain.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('cid:csecret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  bearer = String(((await res.json()) as { access_token: string }).access_token);
});
afterEach(() => brain.close());

type Flavour = 'v2.5' | 'v3';
const call = async (flavour: Flavour, method: string, path: string, body?: unknown) => {
  const base = flavour === 'v2.5' ? '/api/v2.5' : '/api/v3.4';
  const res = await fetch(`${brain.url}${base}/${path}`, {
    method,
    headers: {
      authorization: flavour === 'v2.5' ? 'Token groups-token-1234567890' : `Bearer ${bearer}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe.each(['v2.5', 'v3'] as Flavour[])('fake brain group writes (%s)', (flavour) => {
  it('creates a group with an assigned id and serves it by id and in lists', async () => {
    const created = await call(flavour, 'POST', 'groups', {
      name: 'Static',
      description: 'd',
      type: 'ip',
      members: ['192.0.2.1', '198.51.100.0/24'],
      importance: 'medium',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Static',
      type: 'ip',
      description: 'd',
      importance: 'medium',
      last_modified_by: 'api_client',
      members: ['192.0.2.1', '198.51.100.0/24'],
    });
    const id = created.body.id as number;
    expect(Number.isInteger(id)).toBe(true);
    expect((await call(flavour, 'GET', `groups/${id}`)).body).toEqual(created.body);
    const members = flavour === 'v3' ? '&include_members=true' : '';
    const listed = await call(flavour, 'GET', `groups?name=Static&type=ip${members}`);
    expect(listed.body.results).toEqual([created.body]);
  });

  it('lists members on v3 only with include_members=true; v2.5 always; by id always', async () => {
    const g = brain.addGroup({ name: 'NoBlock', type: 'ip', members: ['192.0.2.1'] });
    const { members: _m, ...bare } = (await call(flavour, 'GET', `groups/${g.id}`)).body;
    expect((await call(flavour, 'GET', `groups/${g.id}`)).body.members).toEqual(['192.0.2.1']);
    const listed = await call(flavour, 'GET', 'groups?name=NoBlock&page_size=1');
    expect(listed.body.results).toEqual([flavour === 'v3' ? bare : { ...bare, members: ['192.0.2.1'] }]);
    if (flavour === 'v2.5') {
      // A v3.4 parameter: v2.5 does not document it (vat platform.py), so the fake refuses it.
      expect((await call(flavour, 'GET', 'groups?name=NoBlock&include_members=true')).status).toBe(400);
      return;
    }
    for (const value of ['true', 'True', '1']) {
      const full = await call(flavour, 'GET', `groups?name=NoBlock&include_members=${value}`);
      expect((full.body.results as Array<{ members?: unknown }>)[0]?.members).toEqual(['192.0.2.1']);
    }
    // The parameter survives in next links.
    brain.addGroup({ name: 'NoBlock 2', type: 'ip', members: [] });
    const paged = await call(flavour, 'GET', 'groups?name=NoBlock&include_members=true&page_size=1');
    expect(new URL(String(paged.body.next)).searchParams.get('include_members')).toBe('true');
  });

  it('refuses a duplicate name+type, but not the same name with another type', async () => {
    const group = { name: 'G', type: 'ip', members: ['192.0.2.1'], importance: 'low' };
    expect((await call(flavour, 'POST', 'groups', group)).status).toBe(201);
    const dup = await call(flavour, 'POST', 'groups', { ...group, members: ['192.0.2.2'] });
    expect(dup).toEqual({ status: 409, body: { detail: 'A group with this name and type already exists.' } });
    const other = await call(flavour, 'POST', 'groups', { ...group, type: 'domain', members: ['x.example'] });
    expect(other.status).toBe(201);
    expect(brain.state.groups.size).toBe(2);
  });

  it('validates name, type, members by type and domain members', async () => {
    const base = { name: 'V', type: 'ip', members: [], importance: 'high' };
    const refused = [
      { ...base, name: '' },
      { ...base, type: 'subnet' },
      { ...base, members: ['not-an-ip'] },
      { ...base, members: '192.0.2.1' },
      { ...base, importance: 'urgent' },
      { ...base, type: 'host', members: [999] },
      { ...base, type: 'account', members: [7] },
      { ...base, type: 'domain', members: [] },
    ];
    for (const body of refused) expect((await call(flavour, 'POST', 'groups', body)).status).toBe(400);
    expect(brain.state.groups.size).toBe(0);
  });

  it('requires importance on v3 only', async () => {
    const res = await call(flavour, 'POST', 'groups', { name: 'I', type: 'ip', members: [] });
    if (flavour === 'v3') {
      expect(res).toEqual({ status: 400, body: { detail: 'importance is required' } });
    } else {
      expect(res.status).toBe(201);
      expect(res.body.importance).toBe('medium');
    }
  });

  it('PATCH replaces the whole member list, shaped by type when served', async () => {
    const h1 = brain.addHost({ name: 'a' }).id;
    const h2 = brain.addHost({ name: 'b', keyAsset: true }).id;
    const hosts = await call(flavour, 'POST', 'groups', {
      name: 'H',
      type: 'host',
      members: [h1],
      importance: 'medium',
    });
    const patched = await call(flavour, 'PATCH', `groups/${hosts.body.id}`, { members: [h2] });
    expect(patched.status).toBe(200);
    expect(patched.body.members).toEqual([
      {
        id: h2,
        name: 'b',
        is_key_asset: true,
        url: `${brain.url}${flavour === 'v2.5' ? '/api/v2.5' : '/api/v3.4'}/hosts/${h2}`,
      },
    ]);
    // Host back-references follow the membership.
    expect(brain.state.hosts.get(h1)?.groups).toEqual([]);
    expect(brain.state.hosts.get(h2)?.groups).toEqual([{ id: hosts.body.id, name: 'H', type: 'host' }]);

    const accounts = await call(flavour, 'POST', 'groups', {
      name: 'A',
      type: 'account',
      members: ['u1'],
      importance: 'medium',
    });
    const acc = await call(flavour, 'PATCH', `groups/${accounts.body.id}`, { members: ['u2', 'u3'] });
    expect(acc.body.members).toEqual([{ uid: 'u2' }, { uid: 'u3' }]);

    const ips = await call(flavour, 'POST', 'groups', {
      name: 'I',
      type: 'ip',
      members: ['192.0.2.1', '192.0.2.2'],
      importance: 'medium',
    });
    const emptied = await call(flavour, 'PATCH', `groups/${ips.body.id}`, { members: [] });
    expect(emptied.body.members).toEqual([]);
  });

  it('PATCH answers 404 for an unknown id and 400 for bad members, changing nothing', async () => {
    expect((await call(flavour, 'PATCH', 'groups/4242', { members: [] })).status).toBe(404);
    const g = brain.addGroup({ name: 'S', type: 'ip', members: ['192.0.2.1'] });
    const bad = await call(flavour, 'PATCH', `groups/${g.id}`, { name: 'S2', members: ['nope'] });
    expect(bad.status).toBe(400);
    expect(brain.state.groups.get(g.id)).toMatchObject({ name: 'S', members: ['192.0.2.1'] });
    brain.addGroup({ name: 'Taken', type: 'ip', members: [] });
    expect((await call(flavour, 'PATCH', `groups/${g.id}`, { name: 'Taken' })).status).toBe(409);
    expect((await call(flavour, 'PATCH', `groups/${g.id}`, { type: 'domain' })).status).toBe(400);
  });

  it('answers 405 to other group writes', async () => {
    expect((await call(flavour, 'DELETE', 'groups/1')).status).toBe(405);
    expect((await call(flavour, 'PATCH', 'groups', { members: [] })).status).toBe(405);
  });
});
