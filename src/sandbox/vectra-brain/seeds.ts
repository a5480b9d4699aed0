/**
 * Seed shapes of the fake brain's `BrainState` helpers (`addHost`…): the few
 * facts a test states, from which the store builds full raw API objects.
 */

export interface HostSeed {
  id?: number;
  name: string;
  ip?: string | null;
  previousIps?: string[];
  threat?: number;
  certainty?: number;
  /** v3 urgency; defaults to the mean of threat and certainty. */
  urgency?: number;
  state?: 'active' | 'inactive';
  tags?: string[];
  macs?: string[];
  artifacts?: Array<{ type: string; value: string }>;
  lastDetection?: string | null;
  lastSeen?: string;
  keyAsset?: boolean;
  /** Traffic seen in the last 2 hours (keeps a quiet host in v2.5's default `/hosts` scope). */
  activeTraffic?: boolean;
  probableOwner?: string | null;
}

export interface AccountSeed {
  id?: number;
  name: string;
  uid?: string;
  displayName?: string;
  accountType?: string;
  threat?: number;
  certainty?: number;
  urgency?: number;
  state?: 'active' | 'inactive';
  tags?: string[];
  privilegeLevel?: number | null;
  privilegeCategory?: string | null;
  lastDetection?: string | null;
}

export interface DetectionSeed {
  id?: number;
  type: string;
  category: string;
  hostId?: number;
  accountId?: number;
  srcIp?: string;
  dstIps?: string[];
  dstDomains?: string[];
  dstPorts?: number[];
  threat?: number;
  certainty?: number;
  state?: 'active' | 'inactive' | 'fixed';
  tags?: string[];
  firstTimestamp?: string;
  lastTimestamp?: string;
  isTriaged?: boolean;
}

export interface GroupSeed {
  id?: number;
  name: string;
  type: 'host' | 'account' | 'ip' | 'domain';
  description?: string;
  importance?: 'high' | 'medium' | 'low' | 'never_prioritize';
  /** Host ids, account uids, or ip/domain strings. */
  members: Array<number | string>;
}

export interface Note {
  id: number;
  date_created: string;
  date_modified: string | null;
  created_by: string;
  modified_by: string | null;
  note: string;
}
