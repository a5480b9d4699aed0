/**
 * Vectra objects as VAR's block clients see them (vectra.md §1.2), with the
 * VAR tag state already parsed: `VAR ID:<client name>:<element id>` tags into
 * `blockedElements`, `client:<module>` tags into `clientRestrictions`.
 * Built from API objects by `parse.ts`; block clients only read them.
 */

/** Element ids a client blocked, keyed by the client's display name (as stored in tags). */
export type BlockedElements = Readonly<Record<string, readonly string[]>>;

interface TaggedObject {
  readonly id: number;
  /** Every tag on the object, exactly as Vectra returned them. */
  readonly allTags: readonly string[];
  /** Tags that are not VAR state (no `VAR ID:…`, no marker, no unblock tag). */
  readonly tags: readonly string[];
  readonly blockedElements: BlockedElements;
  /** Element ids whose block is under way (`VAR Pending:<client>:<id>` tags), keyed like `blockedElements`. */
  readonly pendingElements: BlockedElements;
  /** Lower-cased modules from `client:<module>` tags; empty means every client may act. */
  readonly clientRestrictions: readonly string[];
}

export interface HostArtifact {
  readonly type: string;
  readonly value: string;
}

export interface VectraHost extends TaggedObject {
  readonly kind: 'host';
  readonly name: string;
  /** Current IP (`last_source`), or null when unknown. */
  readonly ip: string | null;
  readonly previousIps: readonly string[];
  readonly probableOwner: string | null;
  readonly threat: number;
  readonly certainty: number;
  /** v3 urgency score when known. */
  readonly urgency: number | null;
  readonly severity: string | null;
  readonly state: string | null;
  readonly isKeyAsset: boolean;
  readonly macAddresses: readonly string[];
  readonly artifacts: readonly HostArtifact[];
  readonly groups: readonly { readonly id: number; readonly name: string }[];
  readonly lastSeen: string | null;
  readonly lastDetectionTimestamp: string | null;
  /** Best display name: windows_defender_name, dns, rdns, ldap dns, else name. */
  readonly fullName: string;
  readonly detectionIds: readonly number[];
}

export interface VectraAccount extends TaggedObject {
  readonly kind: 'account';
  readonly name: string;
  readonly displayName: string;
  readonly accountType: string | null;
  readonly threat: number;
  readonly certainty: number;
  readonly urgency: number | null;
  readonly severity: string | null;
  readonly state: string | null;
  readonly privilegeLevel: number | null;
  readonly privilegeCategory: string | null;
  readonly lastDetectionTimestamp: string | null;
  /** `display_name` after the first colon (`O365:jane@corp.com` → `jane@corp.com`). */
  readonly normalizedName: string;
  readonly context: string | null;
  readonly detectionIds: readonly number[];
}

export interface VectraDetection extends TaggedObject {
  readonly kind: 'detection';
  readonly hostId: number | null;
  readonly accountId: number | null;
  readonly category: string;
  readonly detectionType: string;
  /** Source IP of the detection. */
  readonly src: string | null;
  /** Destination IPs that are not private (VAR keeps only those). */
  readonly dstIps: readonly string[];
  readonly dstDomains: readonly string[];
  readonly state: string;
  readonly threat: number;
  readonly certainty: number;
  readonly isTriaged: boolean;
  readonly firstTimestamp: string | null;
  readonly lastTimestamp: string | null;
  readonly srcHostName: string | null;
  readonly srcAccountName: string | null;
}

export interface VectraStaticIPs {
  readonly kind: 'static-ips';
  readonly dstIps: readonly string[];
}

export type VectraObject = VectraHost | VectraAccount | VectraDetection;
export type VectraObjectKind = VectraObject['kind'];
