import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO } from '../../../src/sandbox/vectra-brain/index.js';
import { awsNaclClient, parseNaclConfig } from '../../../src/vendors/aws-nacl/index.js';
import { relayGuard } from '../../../src/vendors/vectra/var-port.js';
import { makeContext } from '../../helpers/context.js';
import { type E2E, startE2E } from '../../helpers/e2e.js';

let e: E2E;
beforeAll(async () => {
  e = await startE2E();
});
afterAll(() => e.close());

interface Action {
  id: string;
  title: string;
  'query-params': Record<string, string>;
}
const tagsOf = (id: number) => [...((e.brain.state.hosts.get(id)?.tags as string[]) ?? [])];
const notesOf = (id: number) => (e.brain.state.notes.get(`host:${id}`) ?? []).map((n) => n.note);
const actionsFor = async (type: string, value: string) =>
  (await e.call('/respond/observables', [{ type, value }])).json as { data: Action[]; errors?: unknown[] };
const trigger = async (a: Action) =>
  (await e.call('/respond/trigger', { 'action-id': a.id, ...a['query-params'] })).json as {
    data: { status: string };
    errors?: { code: string; message: string }[];
  };
/** A host action for the workstation (or another host) and one client, as respond hands it out. */
const hostAction = (
  verb: 'block' | 'unblock',
  client = 'aws_nacl',
  hostId = e.seeded.workstationId,
): Action => ({
  id: `vectra-${verb}-host`,
  title: '',
  'query-params': {
    observable_type: 'ip',
    observable_value: SCENARIO.workstation.ip,
    host_id: String(hostId),
    client_id: client,
  },
});
const denyEntries = () =>
  e.ec2.entries(e.naclId).filter((x) => x.ruleAction === 'deny' && x.ruleNumber < 100);

describe('respond through the Lambda handler against the fake brain and fake EC2', () => {
  it('looks the hosts of every ip up in one search per vendor (v2.5)', async () => {
    const from = e.brain.requests.length;
    const observables = [SCENARIO.workstation.ip, SCENARIO.server.ip, '198.51.100.9'].map((value) => ({
      type: 'ip',
      value,
    }));
    // Vectra and the VAR clients only: other product vendors read hosts on their own terms.
    const claims = Object.fromEntries(
      Object.entries(e.claims).filter(([k]) => k.startsWith('vectra_') || k.startsWith('aws_')),
    );
    const { data } = (
      await e.call('/respond/observables', observables, { ...claims, block_clients: 'aws_nacl,test_client' })
    ).json as { data: Action[] };
    // VAR's block actions and Vectra's triage actions share the one search each makes.
    expect(data.map((a) => a.title)).toContain(`Block host ${SCENARIO.workstation.name} via Test Client`);
    const hostReads = e.brain.requests
      .slice(from)
      .filter((r) => /\/(search\/)?hosts$/.test(r.path))
      .map((r) => r.path);
    expect(hostReads).toEqual(['/api/v2.5/search/hosts', '/api/v2.5/search/hosts']);
  });

  it('offers block actions per client, tagging and the NACL deny for a workstation IP', async () => {
    const { data } = await actionsFor('ip', SCENARIO.workstation.ip);
    expect(data.map((a) => a.title)).toEqual([
      // The Vectra vendor's triage actions come first (registry order).
      `Mark detections of host ${SCENARIO.workstation.name} as fixed`,
      `Add a note to host ${SCENARIO.workstation.name}`,
      `Block host ${SCENARIO.workstation.name} via AWS NACL Client`,
      `Block host ${SCENARIO.workstation.name} via Test Client`,
      `Tag host ${SCENARIO.workstation.name} for automated blocking`,
      `Deny ${SCENARIO.workstation.ip} at network ACL ${e.naclId}`,
    ]);
    expect(data[2]?.['query-params']).toEqual({
      observable_type: 'ip',
      observable_value: SCENARIO.workstation.ip,
      host_id: String(e.seeded.workstationId),
      client_id: 'aws_nacl',
    });
  });

  it('blocks then unblocks, leaving the tags as before plus two notes', async () => {
    const before = tagsOf(e.seeded.workstationId);
    const block = (await actionsFor('hostname', SCENARIO.workstation.name)).data.find(
      (a) => a.id === 'vectra-block-host',
    );
    expect(block?.title).toContain('AWS NACL Client');
    expect(await trigger(block as Action)).toEqual({ data: { status: 'success' } });
    // The block tag holds the manual block against VAR's (and the engine's) "no longer matching".
    expect(tagsOf(e.seeded.workstationId)).toEqual([
      ...before,
      'VAR Host Blocked',
      `VAR ID:AWS NACL Client:${e.naclId}/${SCENARIO.workstation.ip}/32`,
      'vectra_host_block',
    ]);
    expect(denyEntries().map((x) => x.cidrBlock)).toEqual([`${SCENARIO.workstation.ip}/32`]);

    const after = await actionsFor('hostname', SCENARIO.workstation.name);
    const unblock = after.data.find((a) => a.id === 'vectra-unblock-host');
    expect(unblock?.title).toBe(`Unblock host ${SCENARIO.workstation.name} via AWS NACL Client`);
    expect(await trigger(unblock as Action)).toEqual({ data: { status: 'success' } });
    expect(tagsOf(e.seeded.workstationId)).toEqual(before);
    expect(denyEntries()).toEqual([]);
    const notes = notesOf(e.seeded.workstationId);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^Blocked via relay on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(AWS NACL Client\)$/);
    expect(notes[1]).toMatch(/^Unblocked via relay on .+ UTC \(AWS NACL Client\)$/);
  });

  it('keeps the other client ids when one of two clients unblocks', async () => {
    const params = {
      observable_type: 'ip',
      observable_value: SCENARIO.workstation.ip,
      host_id: String(e.seeded.workstationId),
    };
    for (const client_id of ['aws_nacl', 'test_client']) {
      expect(
        await trigger({ id: 'vectra-block-host', title: '', 'query-params': { ...params, client_id } }),
      ).toEqual({
        data: { status: 'success' },
      });
    }
    const both = tagsOf(e.seeded.workstationId);
    expect(both.filter((t) => t.startsWith('VAR ID:'))).toHaveLength(2);
    await trigger({
      id: 'vectra-unblock-host',
      title: '',
      'query-params': { ...params, client_id: 'aws_nacl' },
    });
    const left = tagsOf(e.seeded.workstationId);
    expect(left.filter((t) => t.startsWith('VAR ID:'))).toEqual([
      expect.stringMatching(/^VAR ID:Test Client:/),
    ]);
    expect(left).toContain('VAR Host Blocked');
    await trigger({
      id: 'vectra-unblock-host',
      title: '',
      'query-params': { ...params, client_id: 'test_client' },
    });
    expect(tagsOf(e.seeded.workstationId).some((t) => t.startsWith('VAR'))).toBe(false);
  });

  it('creates one block from concurrent duplicate triggers', async () => {
    const a = hostAction('block');
    const results = await Promise.all(Array.from({ length: 5 }, () => trigger(a)));
    expect(results.every((r) => r.data.status === 'success')).toBe(true);
    expect(denyEntries()).toHaveLength(1);
    expect(tagsOf(e.seeded.workstationId).filter((t) => t.startsWith('VAR ID:'))).toHaveLength(1);
    expect(await trigger({ ...a, id: 'vectra-unblock-host' })).toEqual({ data: { status: 'success' } });
  });

  it('completes a block when the module gains a network ACL', async () => {
    const second = e.ec2.addNacl({ isDefault: false });
    const a = hostAction('block');
    expect(await trigger(a)).toEqual({ data: { status: 'success' } });
    const wider = { ...e.claims, aws_nacl_ids: `${e.naclId},${second}` };
    const again = (await e.call('/respond/trigger', { 'action-id': a.id, ...a['query-params'] }, wider)).json;
    expect(again).toEqual({ data: { status: 'success' } });
    expect(tagsOf(e.seeded.workstationId).filter((t) => t.startsWith('VAR ID:AWS NACL Client:'))).toEqual([
      `VAR ID:AWS NACL Client:${e.naclId}/${SCENARIO.workstation.ip}/32`,
      `VAR ID:AWS NACL Client:${second}/${SCENARIO.workstation.ip}/32`,
    ]);
    const unblock = await e.call(
      '/respond/trigger',
      { ...a['query-params'], 'action-id': 'vectra-unblock-host' },
      wider,
    );
    expect(unblock.json).toEqual({ data: { status: 'success' } });
    expect(e.ec2.entries(second).filter((x) => x.ruleAction === 'deny' && x.ruleNumber < 100)).toEqual([]);
    expect(denyEntries()).toEqual([]);
  });

  it('refuses a bare "Remove deny" of a deny that is a recorded VAR block', async () => {
    const params = hostAction('block')['query-params'];
    expect(await trigger({ id: 'vectra-block-host', title: '', 'query-params': params })).toEqual({
      data: { status: 'success' },
    });
    const offered = await actionsFor('ip', SCENARIO.workstation.ip);
    expect(offered.data.filter((a) => a.id === 'aws_nacl-remove-deny-ip')).toEqual([]);
    expect(offered.errors).toContainEqual(
      expect.objectContaining({ type: 'warning', code: 'var-recorded-block' }),
    );
    const removed = await trigger({
      id: 'aws_nacl-remove-deny-ip',
      title: '',
      'query-params': { observable_type: 'ip', observable_value: SCENARIO.workstation.ip, nacl_id: e.naclId },
    });
    expect(removed.data.status).toBe('failure');
    expect(removed.errors?.[0]?.message).toContain(`is the VAR block of host ${SCENARIO.workstation.name}`);
    expect(denyEntries()).toHaveLength(1);
    await trigger({ id: 'vectra-unblock-host', title: '', 'query-params': params });
    expect(denyEntries()).toEqual([]);
  });

  it('keeps a deny another record still relies on, and removes it with the last one', async () => {
    const element = `VAR ID:AWS NACL Client:${e.naclId}/${SCENARIO.workstation.ip}/32`;
    const params = (hostId: number) => hostAction('block', 'aws_nacl', hostId)['query-params'];
    expect(
      await trigger({ id: 'vectra-block-host', title: '', 'query-params': params(e.seeded.workstationId) }),
    ).toEqual({
      data: { status: 'success' },
    });
    // Another record relies on the same deny (as detections hitting one C2 address do).
    const other = e.brain.state.hosts.get(e.seeded.blockedHostId) as { tags: string[] };
    other.tags = [...other.tags, element];
    expect(
      await trigger({ id: 'vectra-unblock-host', title: '', 'query-params': params(e.seeded.workstationId) }),
    ).toEqual({
      data: { status: 'success' },
    });
    expect(tagsOf(e.seeded.workstationId)).not.toContain(element);
    expect(denyEntries()).toHaveLength(1);
    expect(
      await trigger({ id: 'vectra-unblock-host', title: '', 'query-params': params(e.seeded.blockedHostId) }),
    ).toEqual({
      data: { status: 'success' },
    });
    expect(tagsOf(e.seeded.blockedHostId)).not.toContain(element);
    expect(denyEntries()).toEqual([]);
  });

  it("keeps a deny the engine's static list holds", async () => {
    e.brain.addGroup({
      name: 'VAR Static Blocked IPs',
      type: 'ip',
      members: [`${SCENARIO.workstation.ip}/32`],
    });
    const claims = e.claims;
    const params = hostAction('block')['query-params'];
    const call = async (id: string) =>
      (await e.call('/respond/trigger', { 'action-id': id, ...params }, claims)).json as {
        data: { status: string };
      };
    expect((await call('vectra-block-host')).data.status).toBe('success');
    expect((await call('vectra-unblock-host')).data.status).toBe('success');
    expect(tagsOf(e.seeded.workstationId).some((t) => t.startsWith('VAR'))).toBe(false);
    expect(denyEntries()).toHaveLength(1); // still the static list's
    const group = [...e.brain.state.groups.values()].find((g) => g.name === 'VAR Static Blocked IPs') as {
      members: string[];
    };
    group.members = [];
    expect((await call('vectra-block-host')).data.status).toBe('success');
    expect((await call('vectra-unblock-host')).data.status).toBe('success');
    expect(denyEntries()).toEqual([]);
  });

  it('recognises a block written by VAR itself', async () => {
    const { data } = await actionsFor('ip', SCENARIO.blockedHost.ip);
    expect(data.map((a) => a.title)).toContain(`Unblock host ${SCENARIO.blockedHost.name} via Test Client`);
    expect(data.map((a) => a.title)).toContain(
      `Remove automated-blocking tag from host ${SCENARIO.blockedHost.name}`,
    );
  });

  it('offers no block action for a host in the no-block group, and says why', async () => {
    const res = await actionsFor('ip', SCENARIO.server.ip);
    expect(res.data.filter((a) => a.id.startsWith('vectra-block') || a.id === 'vectra-tag-host')).toEqual([]);
    expect(res.data.filter((a) => a.id === 'aws_nacl-deny-ip')).toEqual([]);
    expect(res.errors).toEqual([
      {
        type: 'warning',
        code: 'no-block-group',
        message: `The host ${SCENARIO.server.name} is in the no-block group "NoBlock": no block action is offered.`,
      },
      {
        type: 'warning',
        code: 'no-block-group',
        message: `${SCENARIO.server.ip} belongs to host ${SCENARIO.server.name} in the no-block group "NoBlock": no deny is offered.`,
      },
    ]);
    const forced = await trigger({
      id: 'vectra-block-host',
      title: '',
      'query-params': {
        observable_type: 'ip',
        observable_value: SCENARIO.server.ip,
        host_id: String(e.seeded.serverId),
        client_id: 'test_client',
      },
    });
    expect(forced.data.status).toBe('failure');
    expect(forced.errors?.[0]?.message).toContain('no-block group');
  });

  it('never denies a no-block host at the network ACL, even inside a wider CIDR', async () => {
    for (const value of [SCENARIO.server.ip, '10.20.1.0/24']) {
      const r = await trigger({
        id: 'aws_nacl-deny-ip',
        title: '',
        'query-params': { observable_type: 'ip', observable_value: value, nacl_id: e.naclId },
      });
      expect(r.data.status).toBe('failure');
      expect(r.errors?.[0]?.message).toContain('in the no-block group "NoBlock" and is never denied');
    }
    expect(denyEntries()).toEqual([]);
  });

  it('keeps the interlock on the block-client path the engine uses (detections, static IPs)', async () => {
    // The guard is the VAR core's, on the context the runtime builds: the NACL client asks it.
    const base = makeContext({ claims: e.claims });
    const ctx = { ...base, guard: relayGuard(base) };
    const client = awsNaclClient.create(parseNaclConfig(ctx.claims, ctx.config), ctx);
    await expect(
      client.blockStaticDstIps({ kind: 'static-ips', dstIps: [SCENARIO.server.ip] }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('in the no-block group "NoBlock"'),
    });
    // A mixed list blocks the rest and skips the protected address.
    expect(
      await client.blockStaticDstIps({ kind: 'static-ips', dstIps: [SCENARIO.server.ip, '198.51.100.200'] }),
    ).toEqual([{ ip: '198.51.100.200/32', id: `${e.naclId}/198.51.100.200/32` }]);
    expect(await client.unblockStaticDstIps({ kind: 'static-ips', dstIps: ['198.51.100.200'] })).toHaveLength(
      1,
    );
    expect(denyEntries()).toEqual([]);
  });

  it('fails closed when the no-block group cannot be read', async () => {
    e.brain.inject({ path: '/groups', status: 403, times: 1 });
    const res = await actionsFor('ip', SCENARIO.c2Ip);
    // Nothing offered at all, so the envelope carries only the error (no deny without the check).
    expect(res.data).toBeUndefined();
    expect(res.errors).toEqual([expect.objectContaining({ type: 'fatal', code: 'permission denied' })]);
  });

  it('answers not found for a host that is gone and invalid argument for an unknown action', async () => {
    const gone = await trigger({
      id: 'vectra-block-host',
      title: '',
      'query-params': {
        observable_type: 'ip',
        observable_value: '10.9.9.9',
        host_id: '99999',
        client_id: 'test_client',
      },
    });
    expect(gone).toEqual({
      data: { status: 'failure' },
      errors: [
        { type: 'fatal', code: 'not found', message: 'The host 99999 no longer exists in Vectra Detect.' },
      ],
    });
    const unknown = await trigger({
      id: 'vectra-explode-host',
      title: '',
      'query-params': { observable_type: 'ip', observable_value: '1.1.1.1' },
    });
    expect(unknown.errors?.[0]).toEqual({
      type: 'fatal',
      code: 'invalid argument',
      message: 'Unsupported action.',
    });
  });

  it('repairs a block whose tag write failed halfway', async () => {
    const a = hostAction('block');
    const patches = () =>
      e.brain.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/tagging/host')).length;
    const before = patches();
    e.brain.inject({ path: '/tagging/host', method: 'PATCH', status: 503, times: 3 });
    const failed = await trigger(a);
    expect(failed.data.status).toBe('failure');
    expect(failed.errors?.[0]?.message).toMatch(
      /^Blocked host wks-fin-042 via AWS NACL Client, but recording it in Vectra Detect failed/,
    );
    expect(patches() - before).toBe(3); // the write was retried, then given up
    expect(denyEntries()).toHaveLength(1); // the NACL holds the block, the tags do not yet
    const offered = await actionsFor('ip', SCENARIO.workstation.ip);
    expect(offered.data.find((x) => x['query-params'].client_id === 'aws_nacl')?.id).toBe(
      'vectra-block-host',
    );
    expect(await trigger(a)).toEqual({ data: { status: 'success' } });
    expect(denyEntries()).toHaveLength(1);
    expect(tagsOf(e.seeded.workstationId)).toContain(
      `VAR ID:AWS NACL Client:${e.naclId}/${SCENARIO.workstation.ip}/32`,
    );
    await trigger({ ...a, id: 'vectra-unblock-host' });
  });

  it('honours client restriction tags', async () => {
    const host = e.brain.state.hosts.get(e.seeded.workstationId) as { tags: string[] };
    host.tags = [...host.tags, 'client:test_client'];
    const { data } = await actionsFor('ip', SCENARIO.workstation.ip);
    expect(data.filter((a) => a.id === 'vectra-block-host').map((a) => a['query-params'].client_id)).toEqual([
      'test_client',
    ]);
    host.tags = host.tags.filter((t) => t !== 'client:test_client');
  });

  it('offers account actions for a user', async () => {
    const { data } = await actionsFor('user', SCENARIO.account);
    expect(data.map((a) => a.title)).toEqual([
      `Mark detections of account ${SCENARIO.account} as fixed`,
      `Add a note to account ${SCENARIO.account}`,
      `Block account ${SCENARIO.account} via Test Client`,
      `Tag account ${SCENARIO.account} for automated blocking`,
    ]);
  });

  it('writes one audit record per trigger, without secrets', async () => {
    const before = e.logs.filter((l) => l.includes('"audit"')).length;
    await trigger({
      id: 'vectra-tag-host',
      title: '',
      'query-params': {
        observable_type: 'ip',
        observable_value: SCENARIO.workstation.ip,
        host_id: String(e.seeded.workstationId),
      },
    });
    const audits = e.logs.filter((l) => l.includes('"audit"'));
    expect(audits.length - before).toBe(1);
    expect(audits.at(-1)).toContain('"claimedModuleInstanceId":"e2e-module"');
    expect(e.logs.join('')).not.toContain(e.brain.apiToken);
  });
});
