/**
 * Production implementations of the engine's ports over `VectraClient`:
 * `vectraPort` (the reads and tag/note writes the loop needs) and
 * `vectraGroupStaticIpStore` (the applied static IP list kept in Vectra as an
 * `ip` group, because a Lambda has no durable disk).
 *
 * Lists ask for large pages: a run reads whole sets (every blocked host…) and
 * each page is a round trip. `VectraClient` has no group write method yet, so
 * the group store uses its public `api` (`POST /groups`, `PATCH /groups/{id}`,
 * vectra.md §4.3); see the report for the gap.
 */
import type { VectraClient } from '../vendors/vectra/client.js';
import { sameTags } from '../vendors/vectra/state.js';
import type { EnginePort, StaticIpStore } from './port.js';

/** Page size and ceiling for whole-set reads (the client's defaults stop at 5,000 items). */
export const ENGINE_PAGES = { pageSize: 5000, maxItems: 250_000 } as const;

export function vectraPort(client: VectraClient): EnginePort {
  return {
    apiVersion: client.isV3 ? 'v3' : 'v2.5',
    listHosts: (q) => client.listHosts({ ...q }, ENGINE_PAGES),
    listAccounts: (q) => client.listAccounts({ ...q }, ENGINE_PAGES),
    listDetections: (q) => client.listDetections({ ...q }, ENGINE_PAGES),
    getHost: (id) => client.getHost(id),
    getAccount: (id) => client.getAccount(id),
    hostGroupMemberIds: (name) => client.groupMembers(name, 'host'),
    accountGroupMembers: (name) => client.groupMembers(name, 'account'),
    hostsByUrgency: (min) => client.entitiesByUrgency('host', min),
    accountsByUrgency: (min) => client.entitiesByUrgency('account', min),
    async updateTags(kind, id, mutate) {
      let changed = false;
      // The client may call `mutate` again after a concurrent change: the last call decides.
      const tags = await client.updateTags(kind, id, (current) => {
        const next = mutate(current);
        changed = !sameTags(next, current);
        return next;
      });
      return { tags, changed };
    },
    async addNote(kind, id, text) {
      await client.addNote(kind, id, text);
    },
  };
}

interface RawGroup {
  id?: unknown;
  name?: unknown;
  type?: unknown;
  members?: unknown;
}

/** The applied static IP list as the members of an `ip` group called exactly `name`. */
export function vectraGroupStaticIpStore(client: VectraClient, name: string): StaticIpStore {
  const find = async (): Promise<RawGroup | undefined> => {
    const groups = (await client.api.list('groups', { name, type: 'ip' })) as RawGroup[];
    return groups.find((g) => g?.name === name && (g.type === undefined || g.type === 'ip'));
  };
  return {
    async read() {
      const g = await find();
      return Array.isArray(g?.members) ? g.members.filter((m): m is string => typeof m === 'string') : [];
    },
    async write(ips) {
      const g = await find();
      if (g && (typeof g.id === 'number' || typeof g.id === 'string')) {
        await client.api.patch(`groups/${g.id}`, { members: [...ips] });
      } else if (ips.length > 0) {
        // Created on first use; an empty group is never created (some brains refuse it).
        await client.api.post('groups', {
          name,
          type: 'ip',
          description: 'Static destination IPs applied by the relay engine (do not edit by hand)',
          importance: 'medium',
          members: [...ips],
        });
      }
    },
  };
}
