/**
 * Production implementations of the engine's ports over `VectraClient`:
 * `vectraPort` (the reads and tag/note writes the loop needs) and
 * `vectraGroupStaticIpStore` (the applied static IP list kept in Vectra as an
 * `ip` group, because a Lambda has no durable disk).
 *
 * Lists ask for large pages: a run reads whole sets (every blocked host…) and
 * each page is a round trip. The group store writes through
 * `VectraClient.setGroupMembers` (exact-name lookup, create or full member
 * replacement, vectra.md §4.3).
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

const STATIC_IPS_DESCRIPTION = 'Static destination IPs applied by the relay engine (do not edit by hand)';

/** The applied static IP list as the members of an `ip` group called exactly `name`. */
export function vectraGroupStaticIpStore(client: VectraClient, name: string): StaticIpStore {
  return {
    read: () => client.getGroupMembers(name, 'ip'),
    async write(ips) {
      // An empty list never creates the group: nothing was applied, and an
      // absent group already reads as [] (some brains refuse empty groups).
      if (ips.length === 0 && (await client.getGroupMembers(name, 'ip')).length === 0) return;
      await client.setGroupMembers(name, 'ip', ips, { description: STATIC_IPS_DESCRIPTION });
    },
  };
}
