import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeBrain,
  SCENARIO,
  seedSandboxScenario,
  startFakeBrain,
} from '../../../src/sandbox/vectra-brain/index.js';

let brain: FakeBrain;
beforeEach(async () => {
  brain = await startFakeBrain({ apiToken: 'sandbox-token-1234567890', clients: { cid: 'csecret' } });
  seedSandboxScenario(brain);
});
afterEach(() => brain.close());

const v25 = (path: string, init: RequestInit = {}) =>
  fetch(`${brain.url}/api/v2.5/${path}`, {
    ...init,
    headers: {
      authorization: 'Token sandbox-token-1234567890',
      'content-type': 'application/json',
      ...init.headers,
    },
  });

async function v3Token(): Promise<Record<string, unknown>> {
  const res = await fetch(`${brain.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('cid:csecret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('fake Vectra brain', () => {
  it('listens on an ephemeral loopback port', () => {
    expect(brain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves v2.5 with Token auth and refuses other credentials', async () => {
    expect((await v25('hosts')).status).toBe(200);
    const bad = await fetch(`${brain.url}/api/v2.5/hosts`, { headers: { authorization: 'Token nope' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ detail: 'Invalid token.' });
  });

  it('serves v3 with Bearer tokens from /oauth2/token, with refresh tokens and counters', async () => {
    const token = await v3Token();
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 3600, refresh_expires_in: 86_400 });
    const hosts = await fetch(`${brain.url}/api/v3.4/hosts`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(hosts.status).toBe(200);
    const refreshed = await fetch(`${brain.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${token.refresh_token}`,
    });
    expect(refreshed.status).toBe(200);
    expect(brain.tokenRequests).toEqual({ clientCredentials: 1, refresh: 1, total: 2 });
    // A v3 token does not open v2.5, and a v2.5 API token does not open v3.
    const cross = await fetch(`${brain.url}/api/v3.4/hosts`, {
      headers: { authorization: 'Token sandbox-token-1234567890' },
    });
    expect(cross.status).toBe(401);
  });

  it('pages with a DRF envelope and absolute next links, 404 past the end', async () => {
    const page1 = (await (await v25('hosts?all=true&page_size=4&ordering=name')).json()) as Record<
      string,
      unknown
    >;
    expect(page1.count).toBe(6);
    expect(page1.next).toBe(`${brain.url}/api/v2.5/hosts?all=true&page_size=4&ordering=name&page=2`);
    expect((page1.results as unknown[]).length).toBe(4);
    const page2 = (await (
      await fetch(String(page1.next), { headers: { authorization: 'Token sandbox-token-1234567890' } })
    ).json()) as Record<string, unknown>;
    expect(page2.next).toBeNull();
    const past = await v25('hosts?page=9');
    expect(past.status).toBe(404);
    expect(await past.json()).toEqual({ detail: 'Invalid page "9": That page contains no results.' });
  });

  it('filters hosts, accounts and detections like the real brain (tags by substring)', async () => {
    const names = async (path: string) =>
      ((await (await v25(path)).json()) as { results: Array<{ name?: string; id: number }> }).results.map(
        (r) => r.name ?? r.id,
      );
    expect(await names('hosts?all=true&tags=VAR%20Host')).toEqual([SCENARIO.blockedHost.name]);
    expect(await names(`hosts?last_source=${SCENARIO.server.ip}`)).toEqual([SCENARIO.server.name]);
    expect(await names('hosts?all=true&threat_gte=70&certainty_gte=60&ordering=-threat')).toEqual([
      'wks-fin-042',
      'wks-eng-007',
    ]);
    expect(await names('accounts?name=svc-backup')).toEqual([SCENARIO.account]);
    expect((await v25(`detections?destination=${SCENARIO.c2Domain}`)).status).toBe(400); // v3.4 only
    expect(await names('detections?host_id=2&state=active')).toEqual([2]);
  });

  it('answers the /search subset on v2.5 only', async () => {
    const q = encodeURIComponent(`detection.grouped_details.dst_ips:"${SCENARIO.c2Ip}"`);
    const found = (await (await v25(`search/detections?query_string=${q}`)).json()) as {
      results: Array<{ id: number }>;
    };
    expect(found.results.map((r) => r.id)).toEqual([1]);
    const wildcard = encodeURIComponent('host.name:wks-hr-*');
    expect(
      ((await (await v25(`search/hosts?query_string=${wildcard}`)).json()) as { count: number }).count,
    ).toBe(2);
    const token = await v3Token();
    const v3 = await fetch(`${brain.url}/api/v3.4/search/hosts?query_string=x`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(v3.status).toBe(404);
  });

  it('replaces tags with PATCH, adds notes with POST, and shows state at /_state', async () => {
    const patched = await v25('tagging/host/1', {
      method: 'PATCH',
      body: JSON.stringify({ tags: ['a', 'b'] }),
    });
    expect(await patched.json()).toEqual({ status: 'success', tag_id: '1', tags: ['a', 'b'] });
    const note = await v25('hosts/1/notes', { method: 'POST', body: JSON.stringify({ note: 'hello' }) });
    expect(note.status).toBe(201);
    const state = (await (await fetch(`${brain.url}/_state`)).json()) as {
      hosts: Array<{ tags: string[] }>;
      notes: Record<string, Array<{ note: string }>>;
    };
    expect(state.hosts[0]?.tags).toEqual(['a', 'b']);
    expect(state.notes['host:1']?.[0]?.note).toBe('hello');
  });

  it('serves groups with members shaped by type', async () => {
    const groups = (await (await v25('groups?name=NoBlock&type=host')).json()) as {
      results: Array<{ members: Array<{ id: number; name: string }> }>;
    };
    expect(groups.results[0]?.members).toEqual([
      expect.objectContaining({ id: 2, name: SCENARIO.server.name }),
    ]);
  });

  it('injects failures for the next N matching calls, with Retry-After', async () => {
    brain.inject({ path: '/hosts', status: 429, retryAfter: 3, times: 2 });
    const first = await v25('hosts');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect((await v25('hosts')).status).toBe(429);
    expect((await v25('hosts')).status).toBe(200);
    expect(brain.requests.map((r) => r.injected)).toEqual([true, true, false]);
  });

  it('injects latency', async () => {
    brain.setLatency(120);
    const started = Date.now();
    await v25('hosts');
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('logs requests with their auth kind, never the token', async () => {
    await v25('hosts?name=wks');
    await v3Token();
    expect(brain.requests.map((r) => [r.method, r.path, r.auth, r.status])).toEqual([
      ['GET', '/api/v2.5/hosts', 'token', 200],
      ['POST', '/oauth2/token', 'basic', 200],
    ]);
    expect(JSON.stringify(brain.requests)).not.toContain('sandbox-token-1234567890');
    expect(JSON.stringify(brain.requests)).not.toContain('csecret');
  });

  it('lists v3 entities by urgency', async () => {
    const token = await v3Token();
    const res = await fetch(`${brain.url}/api/v3.4/entities?type=host&ordering=-urgency_score&page_size=2`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    const body = (await res.json()) as {
      results: Array<{ name: string; urgency_score: number; type: string }>;
    };
    expect(body.results.map((e) => [e.name, e.urgency_score, e.type])).toEqual([
      [SCENARIO.workstation.name, 92, 'host'],
      [SCENARIO.server.name, 68, 'host'],
    ]);
  });
});

describe('sandbox UI pages', () => {
  it('shows the object behind a UI link the relay hands out', async () => {
    const brain = await startFakeBrain();
    try {
      const host = brain.addHost({ name: 'ui-host', ip: '10.9.9.9' });
      const page = (await (await fetch(`${brain.url}/hosts/${host.id}`)).json()) as {
        host: { name: string };
      };
      expect(page.host.name).toBe('ui-host');
      expect((await fetch(`${brain.url}/hosts/999`)).status).toBe(404);
      expect((await fetch(`${brain.url}/search/hosts?query_string=x`)).status).toBe(200);
    } finally {
      await brain.close();
    }
  });
});
