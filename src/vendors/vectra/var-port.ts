/**
 * Production implementations of the engine's ports over `VectraClient`:
 * `vectraPort` (the reads and tag/note writes the loop needs) and
 * `vectraGroupStaticIpStore` (the applied static IP list kept in Vectra as an
 * `ip` group, because a Lambda has no durable disk).
 *
 * Lists read whole sets (every blocked host…) in pages sized to stay well
 * under the transport's body cap: hosts and accounts ask only for the fields
 * the parser reads (`fields=`), detections come in smaller pages. Every list also asks for completeness
 * (`requireComplete`): a list cut short (page cap, a `next` link that cannot
 * be followed) throws instead of returning a prefix, so the run ends as
 * `planning-failed` — a short `matching` or `no_block` set would otherwise
 * unblock `blocked − matching` wholesale. The group store writes through
 * `VectraClient.setGroupMembers` (exact-name lookup, create or full member
 * replacement, vectra.md §4.3).
 */

import type { RequestContext } from '../../kernel/context.js';
import type { HostDirectory } from '../../kernel/hosts.js';
import { createGuard, type VarGuard } from '../../var/guard.js';
import type { EnginePort, StaticIpStore, VarPort } from '../../var/ports.js';
import { sameTags } from '../../var/state.js';
import type { PageOptions } from './api.js';
import { ACCOUNT_LIST_FIELDS, HOST_LIST_FIELDS, VectraClient } from './client.js';
import { parseVectraConfig } from './config.js';

/**
 * Page size and ceiling for whole-set reads (the client's defaults stop at
 * 5,000 items); a list that does not fit is an error, never a prefix.
 */
export const ENGINE_PAGES: PageOptions = {
  pageSize: 500,
  maxItems: 250_000,
  requireComplete: true,
};

/**
 * Detections are read whole (their documented `fields` omit the destinations)
 * and are large: smaller pages keep each answer well under the body cap.
 */
export const ENGINE_DETECTION_PAGE_SIZE = 100;

export interface VectraPortOptions {
  /** Items per page (default `ENGINE_PAGES.pageSize`); small values let tests reach the page cap. */
  readonly pageSize?: number;
}

export function vectraPort(client: VectraClient, opts: VectraPortOptions = {}): EnginePort {
  // Completeness is not optional: planning from a truncated list mass-unblocks.
  const pages: PageOptions = { ...ENGINE_PAGES, ...opts, requireComplete: true };
  const maxPages = (size: number) => Math.ceil((pages.maxItems ?? 0) / size) + 1;
  const sized = {
    ...pages,
    maxPages: opts.pageSize === undefined ? maxPages(pages.pageSize ?? 1) : undefined,
  };
  const detectionSize = opts.pageSize ?? ENGINE_DETECTION_PAGE_SIZE;
  const detectionPages = {
    ...pages,
    pageSize: detectionSize,
    maxPages: opts.pageSize === undefined ? maxPages(detectionSize) : undefined,
  };
  return {
    apiVersion: client.isV3 ? 'v3' : 'v2.5',
    listHosts: (q) => client.listHosts({ ...q, fields: HOST_LIST_FIELDS }, sized),
    listAccounts: (q) => client.listAccounts({ ...q, fields: ACCOUNT_LIST_FIELDS }, sized),
    listDetections: (q) => client.listDetections({ ...q }, detectionPages),
    getHost: (id) => client.getHost(id),
    getAccount: (id) => client.getAccount(id),
    // `groupMembers` always requires complete group lists (client.ts).
    hostGroupMemberIds: (name) => client.groupMembers(name, 'host'),
    accountGroupMembers: (name) => client.groupMembers(name, 'account'),
    hostsByUrgency: (min) => client.entitiesByUrgency('host', min, sized),
    accountsByUrgency: (min) => client.entitiesByUrgency('account', min, sized),
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

/** The engine's default name for its static IP group (`STATIC_IPS_GROUP_NAME`), read by the relay's guard. */
export const DEFAULT_STATIC_IPS_GROUP = 'VAR Static Blocked IPs';

/**
 * The VAR core's guard for one relay request, when its claims configure
 * Vectra: the token's no-block groups, and the engine's static list under its
 * default group name. Reads happen on first use only.
 */
export function relayGuard(ctx: RequestContext): VarGuard | undefined {
  const cfg = parseVectraConfig(ctx.claims, ctx.config);
  if (!cfg) return undefined;
  const client = new VectraClient(cfg, ctx);
  return createGuard(relayPort(client), {
    noBlockHostGroup: cfg.noBlockHostGroup,
    noBlockAccountGroup: cfg.noBlockAccountGroup,
    staticIps: () => client.getGroupMembers(DEFAULT_STATIC_IPS_GROUP, 'ip'),
    concurrency: ctx.config.upstreamConcurrency,
  });
}

/** A relay request's port: short tag lookups (a record relying on an element shows in the first page). */
export function relayPort(client: VectraClient): VarPort {
  return vectraPort(client, { pageSize: 50 });
}

/** Vectra's hosts for product vendors on one relay request (`ctx.hosts`), when the claims configure Vectra. */
export function relayHosts(ctx: RequestContext): HostDirectory | undefined {
  const cfg = parseVectraConfig(ctx.claims, ctx.config);
  if (!cfg) return undefined;
  const client = new VectraClient(cfg, ctx);
  return { find: (o) => client.findHosts(o, { maxItems: 20 }), get: (id) => client.getHost(id) };
}
