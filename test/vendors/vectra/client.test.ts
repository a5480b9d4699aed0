import { describe, expect, it } from 'vitest';
import { RelayError } from '../../../src/kernel/errors.js';
import type { FakeBrain } from '../../../src/sandbox/vectra-brain/index.js';
import { HOST_BLOCKED_MARKER, tagsAfterBlock, tagsAfterUnblock } from '../../../src/var/state.js';
import { MAX_PAGES } from '../../../src/vendors/vectra/api.js';
import { apiCalls, clientFor, type Flavour, useFreshBrain } from './helpers.js';

let brain: FakeBrain;
useFreshBrain((b) => {
  brain = b;
});

describe.each(['v2.5', 'v3'] as Flavour[])('VectraClient (%s)', (flavour) => {
  it('follows next links to the end of the list', async () => {
    for (let i = 0; i < 7; i++) brain.addHost({ name: `h${i}` });
    const hosts = await clientFor(brain, flavour).listHosts({}, { pageSize: 3 });
    expect(hosts.map((h) => h.name)).toEqual(['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
    expect(apiCalls(brain, '/hosts').map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
  });

  it('stops at the page cap and at maxItems', async () => {
    for (let i = 0; i < MAX_PAGES + 5; i++) brain.addHost({ name: `h${i}` });
    const client = clientFor(brain, flavour);
    expect(await client.listHosts({}, { pageSize: 1, maxItems: 10_000 })).toHaveLength(MAX_PAGES);
    expect(apiCalls(brain, '/hosts')).toHaveLength(MAX_PAGES);
    expect(await client.listHosts({}, { pageSize: 2, maxItems: 3 })).toHaveLength(3);
  });

  it('re-bases a next link from another origin onto the configured origin', async () => {
    for (let i = 0; i < 2; i++) brain.addHost({ name: `h${i}`, keyAsset: true });
    const base = flavour === 'v2.5' ? '/api/v2.5' : '/api/v3.4';
    brain.inject({
      path: '/hosts',
      status: 200,
      body: {
        count: 2,
        next: `https://brain.corp.example${base}/hosts?page=2&page_size=1`,
        results: [brain.state.hosts.get(1)],
      },
    });
    const hosts = await clientFor(brain, flavour).listHosts({}, { pageSize: 1, requireComplete: true });
    expect(hosts.map((h) => h.name)).toEqual(['h0', 'h1']);
    expect(apiCalls(brain, '/hosts')).toHaveLength(2);
  });

  it('requireComplete: an answer without a results list is not an empty list', async () => {
    brain.addHost({ name: 'x', tags: ['VAR Host Blocked'] });
    const client = clientFor(brain, flavour);
    brain.inject({ path: '/hosts', status: 200, body: {}, times: 2 });
    await expect(client.listHosts({ tags: 'VAR Host Blocked' }, { requireComplete: true })).rejects.toThrow(
      /cut short \(an answer without a results list\)/,
    );
    expect(await client.listHosts({ tags: 'VAR Host Blocked' })).toEqual([]); // tolerated when partial is fine
  });

  it('requireComplete: a list cut at the page cap or at maxItems throws instead', async () => {
    for (let i = 0; i < MAX_PAGES + 5; i++) brain.addHost({ name: `h${i}` });
    const client = clientFor(brain, flavour);
    const capped = client.listHosts({}, { pageSize: 1, maxItems: 10_000, requireComplete: true });
    await expect(capped).rejects.toThrow(
      new RelayError(
        'service unavailable',
        `The Vectra Detect list hosts was cut short (more than ${MAX_PAGES} pages of 1 items); nothing was decided on a partial list.`,
      ),
    );
    await expect(client.listHosts({}, { pageSize: 2, maxItems: 3, requireComplete: true })).rejects.toThrow(
      /list hosts was cut short \(more than 3 items\)/,
    );
    // Complete lists still answer, including one that exactly fills maxItems.
    const all = await client.listHosts({}, { pageSize: 20, maxItems: MAX_PAGES + 5, requireComplete: true });
    expect(all).toHaveLength(MAX_PAGES + 5);
    // stopAt is a deliberate end, not a cut.
    const stopped = await client.api.list('hosts', flavour === 'v2.5' ? { all: true } : {}, {
      pageSize: 2,
      requireComplete: true,
      stopAt: (h) => (h as { name?: string }).name === 'h3',
    });
    expect(stopped).toHaveLength(3);
  });

  it.each([
    ['listHosts', '/hosts', 'hosts'],
    ['listAccounts', '/accounts', 'accounts'],
    ['listDetections', '/detections', 'detections'],
  ] as const)('requireComplete: %s throws when a next link is invalid', async (method, path, name) => {
    const client = clientFor(brain, flavour);
    const page = (next: string) => ({ count: 2, next, results: [{ id: 1, name: 'a' }] });
    for (const [next, reason] of [['http://[::1', 'the next link is not a valid URL']] as const) {
      brain.inject({ path, status: 200, body: page(next) });
      await expect(client[method]({}, { requireComplete: true })).rejects.toThrow(
        new RelayError(
          'service unavailable',
          `The Vectra Detect list ${name} was cut short (${reason}); nothing was decided on a partial list.`,
        ),
      );
      // Tolerant by default: the partial list.
      brain.inject({ path, status: 200, body: page(next) });
      expect(await client[method]({})).toHaveLength(1);
    }
  });

  it('follows a relative next link on the brain origin', async () => {
    for (let i = 0; i < 3; i++) brain.addHost({ name: `h${i}` });
    const base = flavour === 'v2.5' ? '/api/v2.5' : '/api/v3.4';
    const first = brain.state.hosts.get(1);
    brain.inject({
      path: '/hosts',
      status: 200,
      body: {
        count: 3,
        next: `${base}/hosts?page=2&page_size=1${flavour === 'v2.5' ? '&all=true' : ''}`,
        results: [first],
      },
    });
    const hosts = await clientFor(brain, flavour).listHosts({}, { pageSize: 1, requireComplete: true });
    expect(hosts.map((h) => h.name)).toEqual(['h0', 'h1', 'h2']);
    expect(apiCalls(brain, '/hosts').map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
  });

  it('finds hosts by ip, hostname (name or artifact) and mac', async () => {
    brain.addHost({ name: 'wks-1', ip: '10.0.0.1', macs: ['00:aa:bb:cc:dd:01'] });
    brain.addHost({
      name: 'wks-10',
      ip: '10.0.0.10',
      artifacts: [{ type: 'dns', value: 'fin-laptop.corp' }],
    });
    const client = clientFor(brain, flavour);
    const names = async (type: string, value: string) =>
      (await client.findHosts({ type, value })).map((h) => h.name);
    expect(await names('ip', '10.0.0.1')).toEqual(['wks-1']);
    // The brain's name filter matches substrings; the client keeps exact matches only.
    expect(await names('hostname', 'WKS-1')).toEqual(['wks-1']);
    expect(await names('hostname', 'wks-10.corp.example')).toEqual(['wks-10']);
    // An AD host name is searchable on v2.5 only (v3 has no /search).
    (brain.state.hosts.get(1) as Record<string, unknown>).ldap = { dns_hostname: ['pay-01.corp.example'] };
    expect(await names('hostname', 'pay-01.corp.example')).toEqual(flavour === 'v2.5' ? ['wks-1'] : []);
    expect(
      (await client.findHosts({ type: 'mac_address', value: '00-AA-BB-CC-DD-01' })).map((h) => h.name),
    ).toEqual(['wks-1']);
  });

  it('finds accounts with or without their O365: prefix', async () => {
    brain.addAccount({ name: 'O365:jane@corp.example' });
    brain.addAccount({ name: 'O365:jane@corp.example.org' });
    const found = await clientFor(brain, flavour).findAccounts('jane@corp.example');
    expect(found.map((a) => a.name)).toEqual(['O365:jane@corp.example']);
  });

  it('gets single objects and answers null for unknown ids', async () => {
    const h = brain.addHost({ name: 'h' });
    const a = brain.addAccount({ name: 'acc' });
    const d = brain.addDetection({ type: 'Port Scan', category: 'RECONNAISSANCE', hostId: h.id as number });
    const client = clientFor(brain, flavour);
    expect((await client.getHost(h.id as number))?.detectionIds).toEqual([d.id]);
    expect((await client.getAccount(a.id as number))?.name).toBe('acc');
    expect((await client.getDetection(d.id as number))?.hostId).toBe(h.id);
    expect(await client.getAccount(404)).toBeNull();
    expect(await client.getDetection(404)).toBeNull();
  });

  it('re-checks tag filters exactly (the API matches substrings)', async () => {
    brain.addHost({ name: 'a', tags: [HOST_BLOCKED_MARKER] });
    brain.addHost({ name: 'b', tags: [`${HOST_BLOCKED_MARKER} (old)`] });
    const hosts = await clientFor(brain, flavour).listHosts({ tags: HOST_BLOCKED_MARKER });
    expect(hosts.map((h) => h.name)).toEqual(['a']);
    expect(apiCalls(brain, '/hosts')[0]?.query.tags).toBe(HOST_BLOCKED_MARKER);
  });

  it('lists group members by exact group name: host ids, and accounts from uids', async () => {
    const h1 = brain.addHost({ name: 'srv-1' });
    brain.addHost({ name: 'srv-2' });
    brain.addGroup({ name: 'NoBlock', type: 'host', members: [h1.id as number] });
    brain.addGroup({ name: 'NoBlock-extra', type: 'host', members: [2] });
    const acc = brain.addAccount({ name: 'O365:ceo@corp.example', uid: 'ceo@corp.example' });
    brain.addGroup({ name: 'NoBlock', type: 'account', members: ['ceo@corp.example', 'ghost@corp.example'] });
    const client = clientFor(brain, flavour);
    expect(await client.groupMembers('NoBlock', 'host')).toEqual([h1.id]);
    expect((await client.groupMembers('NoBlock', 'account')).map((a) => a.id)).toEqual([acc.id]);
    expect(await client.groupMembers('Nope', 'host')).toEqual([]);
    // v3.4 lists members only when asked; v2.5 does not document the parameter.
    for (const r of apiCalls(brain, '/groups'))
      expect(r.query.include_members).toBe(flavour === 'v3' ? 'true' : undefined);
  });

  it('reads a group listed without members by id, and fails closed when it has none', async () => {
    const h = brain.addHost({ name: 'srv-1' });
    const g = brain.addGroup({ name: 'NoBlock', type: 'host', members: [h.id as number] });
    const client = clientFor(brain, flavour);
    const bare = { count: 1, next: null, results: [{ id: g.id, name: 'NoBlock', type: 'host' }] };
    brain.inject({ path: /\/groups$/, status: 200, body: bare });
    expect(await client.groupMembers('NoBlock', 'host')).toEqual([h.id]);
    expect(apiCalls(brain, '/groups').map((r) => r.path.replace(/^.*\/groups/, 'groups'))).toEqual([
      'groups',
      `groups/${g.id}`,
    ]);

    brain.inject({ path: /\/groups$/, status: 200, body: bare });
    brain.inject({ path: `/groups/${g.id}`, status: 200, body: bare.results[0] });
    const err = await client.groupMembers('NoBlock', 'host').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect(err).toMatchObject({ code: 'service unavailable' });
    expect((err as Error).message).toContain('NoBlock');
    // The ip/domain reads and the writes share the lookup: no empty read, no blind write.
    const ip = brain.addGroup({ name: 'Static', type: 'ip', members: ['192.0.2.1'] });
    const bareIp = { id: ip.id, name: 'Static', type: 'ip' };
    brain.inject({ path: /\/groups$/, status: 200, body: { count: 1, next: null, results: [bareIp] } });
    brain.inject({ path: `/groups/${ip.id}`, status: 200, body: bareIp });
    await expect(client.getGroupMembers('Static', 'ip')).rejects.toMatchObject({
      code: 'service unavailable',
    });
    brain.inject({ path: /\/groups$/, status: 200, body: { count: 1, next: null, results: [bareIp] } });
    expect(await client.getGroupMembers('Static', 'ip')).toEqual(['192.0.2.1']);
  });

  it('groupMembers never decides on a partial group list', async () => {
    brain.addGroup({ name: 'NoBlock', type: 'host', members: [] });
    brain.inject({
      path: /\/groups$/,
      status: 200,
      body: { count: 2, next: 'https://elsewhere.example/groups?page=2', results: [] },
    });
    await expect(clientFor(brain, flavour).groupMembers('NoBlock', 'host')).rejects.toThrow(
      /list groups was cut short \(a linked page answered 404 after 0 of 2 items\)/,
    );
  });

  it('adds notes through POST and never edits them', async () => {
    const h = brain.addHost({ name: 'h' });
    const note = await clientFor(brain, flavour).addNote(
      'host',
      h.id as number,
      'VAR: Blocked on 01 Jan 2025',
    );
    expect(note.note).toBe('VAR: Blocked on 01 Jan 2025');
    expect(brain.requests.filter((r) => r.path.endsWith('/notes')).map((r) => r.method)).toEqual(['POST']);
  });
});

describe('updateTags', () => {
  it.each(['v2.5', 'v3'] as Flavour[])(
    'keeps foreign tags and returns the final list (%s)',
    async (flavour) => {
      const h = brain.addHost({
        name: 'h',
        tags: ['finance', 'VAR ID:PAN Client:10.0.0.5', HOST_BLOCKED_MARKER],
      });
      const client = clientFor(brain, flavour);
      const blocked = await client.updateTags('host', h.id as number, (tags) =>
        tagsAfterBlock(tags, { marker: HOST_BLOCKED_MARKER, clientName: 'AWS NACL', ids: ['acl-1:100'] }),
      );
      expect(blocked).toEqual([
        'finance',
        'VAR ID:PAN Client:10.0.0.5',
        HOST_BLOCKED_MARKER,
        'VAR ID:AWS NACL:acl-1:100',
      ]);
      const unblocked = await client.updateTags('host', h.id as number, (tags) =>
        tagsAfterUnblock(tags, { marker: HOST_BLOCKED_MARKER, clientName: 'AWS NACL', ids: ['acl-1:100'] }),
      );
      expect(unblocked).toEqual(['finance', 'VAR ID:PAN Client:10.0.0.5', HOST_BLOCKED_MARKER]);
      expect(brain.state.hosts.get(h.id as number)?.tags).toEqual(unblocked);
    },
  );

  it('writes nothing when the mutation changes nothing', async () => {
    const h = brain.addHost({ name: 'h', tags: ['a'] });
    await clientFor(brain, 'v2.5').updateTags('host', h.id as number, (t) => t);
    expect(brain.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });

  it('re-applies the change when another writer replaced the tags between PATCH and re-read', async () => {
    const h = brain.addHost({ name: 'h', tags: ['finance'] });
    let raced = false;
    brain.hook((req) => {
      if (!raced && req.method === 'PATCH' && req.path.endsWith(`/tagging/host/${h.id}`)) {
        raced = true;
        // An analyst's UI read the tags before our PATCH and writes its full list after it: our tags are lost.
        const host = brain.state.hosts.get(h.id as number);
        if (host) host.tags = ['finance', 'analyst: investigating'];
      }
    });
    const final = await clientFor(brain, 'v3').updateTags('host', h.id as number, (tags) =>
      tagsAfterBlock(tags, { marker: HOST_BLOCKED_MARKER, clientName: 'C', ids: ['1'] }),
    );
    expect(final).toEqual(
      expect.arrayContaining(['finance', 'analyst: investigating', HOST_BLOCKED_MARKER, 'VAR ID:C:1']),
    );
    expect(final).toHaveLength(4);
    expect(brain.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
  });

  it('gives up with state conflict when the tags keep changing', async () => {
    const h = brain.addHost({ name: 'h' });
    let n = 0;
    brain.hook((req) => {
      const host = brain.state.hosts.get(h.id as number);
      if (req.method === 'PATCH' && host) host.tags = [`other-${n++}`];
    });
    const client = clientFor(brain, 'v2.5', { client: { maxTagAttempts: 3 } });
    await expect(
      client.updateTags('host', h.id as number, (t) => [...new Set([...t, 'mine'])]),
    ).rejects.toMatchObject({ code: 'state conflict' });
  });
});

describe('v3 urgency', () => {
  it('lists hosts at or above an urgency, most urgent first, stopping early', async () => {
    brain.addHost({ name: 'low', urgency: 10 });
    brain.addHost({ name: 'top', urgency: 95 });
    brain.addHost({ name: 'mid', urgency: 70 });
    brain.addAccount({ name: 'acc', urgency: 99 });
    const hosts = await clientFor(brain, 'v3').entitiesByUrgency('host', 60);
    expect(hosts.map((h) => [h.name, h.urgency])).toEqual([
      ['top', 95],
      ['mid', 70],
    ]);
    expect(apiCalls(brain, '/entities')[0]?.query).toMatchObject({
      type: 'host',
      ordering: '-urgency_score',
    });
    const accounts = await clientFor(brain, 'v3').entitiesByUrgency('account', 60);
    expect(accounts.map((a) => a.name)).toEqual(['acc']);
  });

  it('is refused on v2.5', async () => {
    await expect(clientFor(brain, 'v2.5').entitiesByUrgency('host', 50)).rejects.toMatchObject({
      code: 'invalid argument',
    });
  });
});
