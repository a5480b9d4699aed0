/**
 * The fake brain's state: hosts, accounts, detections, groups and notes held
 * as raw Vectra API JSON (the shapes of vectra.md §4.3), plus seeding helpers
 * that fill realistic defaults (seed shapes in `seeds.ts`) and an index of
 * detections by source host/account. Links (`url`, `detection_set`…) are
 * added when an object is served, because they depend on the base URL and
 * API flavour.
 */
import type { AccountSeed, DetectionSeed, GroupSeed, HostSeed, Note } from './seeds.js';

export type { AccountSeed, DetectionSeed, GroupSeed, HostSeed, Note } from './seeds.js';

export type RawObject = Record<string, unknown>;

/** A stored object as the seeding helpers return it: raw JSON with a known numeric id. */
export type SeededObject = RawObject & { id: number };

export const quadrant = (threat: number, certainty: number): string =>
  threat >= 50 && certainty >= 50 ? 'critical' : threat >= 50 ? 'high' : certainty >= 50 ? 'medium' : 'low';

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

type IdKind = 'host' | 'account' | 'detection' | 'group' | 'note' | 'assignment';

export class BrainState {
  readonly hosts = new Map<number, RawObject>();
  readonly accounts = new Map<number, RawObject>();
  readonly detections = new Map<number, RawObject>();
  readonly groups = new Map<number, RawObject>();
  /** Notes keyed by `host:1`, `account:2`, `detection:3`. */
  readonly notes = new Map<string, Note[]>();
  /** Vectra's own lockdowns (`/lockdown/account`, `/lockdown?type=`), set by tests. */
  readonly lockdowns: Array<RawObject & { type: 'host' | 'account' }> = [];
  /** Assignments (`/assignments`), by id; see `triage.ts`. */
  readonly assignments = new Map<number, RawObject>();
  /** Brain users an assignment may go to, by id (`assigned_to`). */
  readonly users = new Map<number, { id: number; username: string }>([
    [1, { id: 1, username: 'admin' }],
    [2, { id: 2, username: 'analyst@corp.example.com' }],
  ]);
  /** The built-in assignment outcomes (demisto/content VectraXDR `assignment_outcome_list_response.json`). */
  readonly outcomes: RawObject[] = [
    {
      id: 1,
      builtin: true,
      user_selectable: true,
      title: 'Benign True Positive',
      category: 'benign_true_positive',
    },
    {
      id: 2,
      builtin: true,
      user_selectable: true,
      title: 'Malicious True Positive',
      category: 'malicious_true_positive',
    },
    { id: 3, builtin: true, user_selectable: true, title: 'False Positive', category: 'false_positive' },
  ];
  /**
   * Detection ids by source host id and by source account id, kept on
   * `addDetection`, so serving a host's `detection_set` does not scan every
   * detection (10,000 hosts made each list call cost ~100 ms).
   */
  readonly detectionsByHost = new Map<number, Set<number>>();
  readonly detectionsByAccount = new Map<number, Set<number>>();
  private nextId: Record<IdKind, number> = {
    host: 1,
    account: 1,
    detection: 1,
    group: 1,
    note: 1,
    assignment: 1,
  };

  /** The next id of `kind` (or `wanted`), kept above every id handed out. */
  id(kind: IdKind, wanted?: number): number {
    const id = wanted ?? this.nextId[kind];
    this.nextId[kind] = Math.max(this.nextId[kind], id + 1);
    return id;
  }

  addHost(seed: HostSeed): SeededObject {
    const threat = seed.threat ?? 0;
    const certainty = seed.certainty ?? 0;
    const artifacts = [
      ...(seed.macs ?? []).map((value) => ({ type: 'mac', value, source: null, siem: false })),
      ...(seed.artifacts ?? []).map((a) => ({ ...a, source: null, siem: false })),
    ];
    const host: SeededObject = {
      id: this.id('host', seed.id),
      name: seed.name,
      ip: seed.ip ?? null,
      last_source: seed.ip ?? null,
      previous_ips: seed.previousIps ?? [],
      threat,
      certainty,
      t_score: threat,
      c_score: certainty,
      severity: quadrant(threat, certainty),
      urgency_score: seed.urgency ?? Math.round((threat + certainty) / 2),
      state: seed.state ?? 'active',
      key_asset: seed.keyAsset ?? false,
      active_traffic: seed.activeTraffic ?? false,
      has_active_traffic: seed.activeTraffic ?? false,
      is_key_asset: seed.keyAsset ?? false,
      targets_key_asset: false,
      tags: [...(seed.tags ?? [])],
      note: null,
      host_artifact_set: artifacts,
      last_detection_timestamp: seed.lastDetection === undefined ? hoursAgo(2) : seed.lastDetection,
      last_seen: seed.lastSeen ?? hoursAgo(1),
      groups: [],
      probable_owner: seed.probableOwner ?? null,
      sensor_name: 'sensor-01',
      ldap: null,
    };
    this.hosts.set(host.id, host);
    return host;
  }

  addAccount(seed: AccountSeed): SeededObject {
    const threat = seed.threat ?? 0;
    const certainty = seed.certainty ?? 0;
    const account: SeededObject = {
      id: this.id('account', seed.id),
      uid: seed.uid ?? seed.name,
      name: seed.name,
      display_name: seed.displayName ?? seed.name,
      account_type: seed.accountType ?? 'kerberos',
      threat,
      certainty,
      severity: quadrant(threat, certainty),
      urgency_score: seed.urgency ?? Math.round((threat + certainty) / 2),
      state: seed.state ?? 'active',
      tags: [...(seed.tags ?? [])],
      note: null,
      privilege_level: seed.privilegeLevel ?? null,
      privilege_category: seed.privilegeCategory ?? null,
      last_detection_timestamp: seed.lastDetection === undefined ? hoursAgo(3) : seed.lastDetection,
      probable_home: null,
      ldap: null,
    };
    this.accounts.set(account.id, account);
    return account;
  }

  addDetection(seed: DetectionSeed): SeededObject {
    const host = seed.hostId === undefined ? undefined : this.hosts.get(seed.hostId);
    const account = seed.accountId === undefined ? undefined : this.accounts.get(seed.accountId);
    const threat = seed.threat ?? 50;
    const certainty = seed.certainty ?? 50;
    const dstIps = seed.dstIps ?? [];
    const dstDomains = seed.dstDomains ?? [];
    const last = seed.lastTimestamp ?? hoursAgo(2);
    const detection: SeededObject = {
      id: this.id('detection', seed.id),
      detection_type: seed.type,
      detection: seed.type,
      category: seed.category,
      detection_category: seed.category,
      src_ip: seed.srcIp ?? (host?.last_source as string | undefined) ?? null,
      src_host: host
        ? {
            id: host.id,
            ip: host.last_source,
            name: host.name,
            threat: host.threat,
            certainty: host.certainty,
          }
        : null,
      src_account: account
        ? {
            id: account.id,
            name: account.name,
            threat: account.threat,
            certainty: account.certainty,
            privilege_level: account.privilege_level,
          }
        : null,
      state: seed.state ?? 'active',
      threat,
      certainty,
      t_score: threat,
      c_score: certainty,
      first_timestamp: seed.firstTimestamp ?? last,
      last_timestamp: last,
      summary: {
        dst_ips: dstIps,
        target_domains: dstDomains,
        dst_ports: seed.dstPorts ?? [],
        description: `${seed.type} observed`,
      },
      grouped_details: dstIps.map((ip, i) => ({
        dst_ips: [ip],
        target_domains: dstDomains[i] === undefined ? [] : [dstDomains[i]],
        dst_ports: seed.dstPorts ?? [],
      })),
      tags: [...(seed.tags ?? [])],
      is_triaged: seed.isTriaged ?? false,
      triage_rule_id: null,
      targets_key_asset: false,
    };
    this.detections.set(detection.id, detection);
    if (host) index(this.detectionsByHost, host.id as number, detection.id);
    if (account) index(this.detectionsByAccount, account.id as number, detection.id);
    return detection;
  }

  addGroup(seed: GroupSeed): SeededObject {
    const group: SeededObject = {
      id: this.id('group', seed.id),
      name: seed.name,
      type: seed.type,
      description: seed.description ?? '',
      importance: seed.importance ?? 'medium',
      last_modified: hoursAgo(24),
      last_modified_by: 'admin',
      members: [],
    };
    this.groups.set(group.id, group);
    this.setGroupMembers(group.id, seed.members);
    return group;
  }

  /**
   * Replaces a group's members (the API's PATCH is a full replacement) and
   * keeps the `groups` back-references of host members in step.
   */
  setGroupMembers(id: number, members: ReadonlyArray<number | string>, by?: string): RawObject | undefined {
    const group = this.groups.get(id);
    if (!group) return undefined;
    if (group.type === 'host') {
      for (const m of group.members as Array<number | string>) {
        const host = this.hosts.get(Number(m));
        if (host) host.groups = (host.groups as RawObject[]).filter((g) => g.id !== id);
      }
      for (const m of members) {
        const host = this.hosts.get(Number(m));
        if (host) (host.groups as RawObject[]).push({ id, name: group.name, type: 'host' });
      }
    }
    group.members = [...members];
    if (by !== undefined) {
      group.last_modified = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      group.last_modified_by = by;
    }
    return group;
  }

  addNote(kind: string, id: number, text: string, author = 'api_client'): Note {
    const note: Note = {
      id: this.id('note'),
      date_created: new Date().toISOString(),
      date_modified: null,
      created_by: author,
      modified_by: null,
      note: text,
    };
    const key = `${kind}:${id}`;
    this.notes.set(key, [...(this.notes.get(key) ?? []), note]);
    return note;
  }

  /** The collection behind a tagging/notes kind. */
  collection(kind: string): Map<number, RawObject> | undefined {
    if (kind === 'host' || kind === 'hosts') return this.hosts;
    if (kind === 'account' || kind === 'accounts') return this.accounts;
    if (kind === 'detection' || kind === 'detections') return this.detections;
    return undefined;
  }

  /** A JSON-safe copy of everything (for `GET /_state`). */
  snapshot(): Record<string, unknown> {
    return structuredClone({
      hosts: [...this.hosts.values()],
      accounts: [...this.accounts.values()],
      detections: [...this.detections.values()],
      groups: [...this.groups.values()],
      notes: Object.fromEntries(this.notes),
      assignments: [...this.assignments.values()],
    });
  }
}

function index(map: Map<number, Set<number>>, key: number, id: number): void {
  const ids = map.get(key) ?? new Set<number>();
  ids.add(id);
  map.set(key, ids);
}
