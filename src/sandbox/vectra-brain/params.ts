/**
 * The query parameters the fake brain accepts, per API flavour and endpoint,
 * and the `/search` fields it knows. Anything else is refused, so that the
 * relay cannot come to depend on a parameter a real brain silently drops (a
 * dropped filter answers *everything*: a NoBlock group read through an
 * ignored `uid` made every account a member). Sources are listed per set in
 * `README.md`; the status a real brain answers for an unknown parameter is not
 * documented, so the fake answers 400 and says which parameter.
 */

type Flavour = 'v2.5' | 'v3';

/** Pagination keys DRF puts in every `next` link (v3 groups list only `page_size`, but `next` carries `page`). */
const PAGING = ['page', 'page_size', 'ordering'];

/** vat `modules/vectra.py` `_generate_host_params` (v2.x) and vectra.md §4.3 (v2.4/2.5 additions). */
const HOSTS_V25 = [
  'active_traffic',
  'all',
  'c_score',
  'c_score_gte',
  'certainty',
  'certainty_gte',
  'fields',
  'has_active_traffic',
  'include_detection_summaries',
  'is_key_asset',
  'is_targeting_key_asset',
  'key_asset',
  'last_detection_timestamp',
  'last_detection_timestamp_gte',
  'last_detection_timestamp_lte',
  'last_source',
  'mac_address',
  'max_id',
  'min_id',
  'name',
  'note_modified_timestamp_gte',
  'privilege_category',
  'privilege_level',
  'privilege_level_gte',
  'state',
  't_score',
  't_score_gte',
  'tags',
  'targets_key_asset',
  'threat',
  'threat_gte',
];

/** vat `modules/platform.py` `VectraPlatformClientV3_3._generate_host_params` (no `all`). */
const HOSTS_V3 = [
  'fields',
  'name',
  'state',
  'last_source',
  'threat',
  'threat_gte',
  't_score',
  't_score_gte',
  'certainty',
  'certainty_gte',
  'c_score',
  'c_score_gte',
  'last_detection_timestamp',
  'tags',
  'key_asset',
  'min_id',
  'max_id',
  'mac_address',
  'note_modified_timestamp_gte',
  'privilege_level',
  'privilege_level_gte',
  'privilege_category',
];

/** vectra.md §4.3 accounts (v2.5, from vat `modules/vectra.py`). */
const ACCOUNTS_V25 = [
  'all',
  'certainty',
  'certainty_gte',
  'fields',
  'first_seen',
  'include_detection_summaries',
  'last_detection_timestamp_gte',
  'last_detection_timestamp_lte',
  'last_seen',
  'last_source',
  'max_id',
  'min_id',
  'name',
  'note_modified_timestamp_gte',
  'privilege_category',
  'privilege_level',
  'privilege_level_gte',
  'state',
  'tags',
  'threat',
  'threat_gte',
  'uid',
];

/** vat `modules/platform.py` `VectraPlatformClientV3._generate_account_params`: no `uid`, no `threat_gte`. */
const ACCOUNTS_V3 = [
  'fields',
  'name',
  'state',
  't_score',
  't_score_gte',
  'c_score',
  'c_score_gte',
  'tags',
  'all',
  'min_id',
  'max_id',
  'note_modified_timestamp_gte',
  'privilege_level',
  'privilege_level_gte',
  'privilege_category',
  'id',
];

/** vat `modules/vectra.py` `_generate_detection_params` (v2.x). */
const DETECTIONS_V25 = [
  'c_score',
  'c_score_gte',
  'category',
  'certainty',
  'certainty_gte',
  'description',
  'detection',
  'detection_category',
  'detection_type',
  'fields',
  'host_id',
  'is_targeting_key_asset',
  'is_triaged',
  'last_timestamp',
  'last_timestamp_gte',
  'max_id',
  'min_id',
  'note_modified_timestamp_gte',
  'src_ip',
  'state',
  't_score',
  't_score_gte',
  'tags',
  'targets_key_asset',
  'threat',
  'threat_gte',
];

/** vat `modules/platform.py` `VectraPlatformClientV3_4._generate_detection_params`. */
const DETECTIONS_V3 = [
  'fields',
  'min_id',
  'max_id',
  'state',
  'detection_type',
  'detection_category',
  'src_ip',
  'threat_score',
  'threat_gte',
  'certainty',
  'certainty_gte',
  'last_timestamp',
  'last_timestamp_gte',
  'last_timestamp_lte',
  'host_id',
  'tags',
  'destination',
  'proto',
  'is_targeting_key_asset',
  'is_triaged',
  'note_modified_timestamp_gte',
  'src_account',
  'id',
];

/** vat `_generate_group_params` (v2.x) and `VectraPlatformClientV3_4._generate_group_params`. */
const GROUPS_V25 = [
  'description',
  'domains',
  'host_ids',
  'host_names',
  'account_ids',
  'account_names',
  'ips',
  'importance',
  'last_modified_by',
  'last_modified_timestamp',
  'membership_action',
  'name',
  'type',
];
const GROUPS_V3 = [
  'account_ids',
  'account_names',
  'host_ids',
  'importance',
  'description',
  'last_modified_timestamp',
  'last_modified_by',
  'name',
  'type',
  'is_regex',
  'is_membership_evaluation_ongoing',
  'include_members',
];

/** vat `VectraPlatformClientV3_4._generate_entity_params`. */
const ENTITIES_V3 = [
  'is_prioritized',
  'type',
  'last_detection_timestamp_gte',
  'name',
  'note_modified_timestamp_gte',
  'state',
  'tags',
];

/** vat `VectraClientV2_2._generate_assignment_params` (v2.x) and `VectraPlatformClientV3._generate_assignment_params`. */
const ASSIGNMENTS_V25 = [
  'accounts',
  'assignees',
  'created_after',
  'fields',
  'max_id',
  'min_id',
  'resolution',
  'resolved',
];
const ASSIGNMENTS_V3 = ['accounts', 'assignees', 'created_after', 'resolution', 'resolved'];

const sets: Record<Flavour, Record<string, ReadonlySet<string>>> = {
  'v2.5': {
    hosts: new Set([...HOSTS_V25, ...PAGING]),
    accounts: new Set([...ACCOUNTS_V25, ...PAGING]),
    detections: new Set([...DETECTIONS_V25, ...PAGING]),
    groups: new Set([...GROUPS_V25, ...PAGING]),
    'search/hosts': new Set(['query_string', ...PAGING]),
    'search/detections': new Set(['query_string', ...PAGING]),
    'search/accounts': new Set(['query_string', ...PAGING]),
    'lockdown/account': new Set<string>(),
    assignments: new Set([...ASSIGNMENTS_V25, ...PAGING]),
    assignment_outcomes: new Set(PAGING),
  },
  v3: {
    hosts: new Set([...HOSTS_V3, ...PAGING]),
    accounts: new Set([...ACCOUNTS_V3, ...PAGING]),
    detections: new Set([...DETECTIONS_V3, ...PAGING]),
    groups: new Set([...GROUPS_V3, ...PAGING]),
    entities: new Set([...ENTITIES_V3, ...PAGING]),
    lockdown: new Set(['type']),
    assignments: new Set([...ASSIGNMENTS_V3, ...PAGING]),
    assignment_outcomes: new Set(PAGING),
  },
};

/** By-id reads: `fields`, `include_external`, `include_ldap` (vat `_generate_host_by_id_params`); entities need `type`. */
const BY_ID = new Set(['fields', 'include_external', 'include_ldap', 'type']);

/**
 * The first parameter `flavour` does not document for this list endpoint (or
 * by-id read), or undefined when all are known. Endpoints without a set here
 * (tagging, notes, writes) take no query parameters but `type`.
 */
export function unknownParam(
  flavour: Flavour,
  endpoint: string,
  byId: boolean,
  params: URLSearchParams,
): string | undefined {
  const allowed = byId ? BY_ID : (sets[flavour][endpoint] ?? new Set(['type']));
  for (const key of params.keys()) if (!allowed.has(key)) return key;
  return undefined;
}

/**
 * The `/search` fields the fake knows, per object prefix: the fields of
 * Vectra's Advanced Search references (`Advanced_Search_Hosts.md`,
 * `…_Detections.md`, `…_Accounts.md`, as listed in
 * `vectra-ai-research/vectra-ai-mcp-server-qux` `resources/search_resources.py`)
 * that the fake can evaluate. `host.host_artifact_set.*` and
 * `detection.src_account.name` are in none of them: a real brain's answer to
 * them is unknown, so the fake refuses them (422) like any unknown field.
 */
export const SEARCH_FIELDS: Record<string, ReadonlySet<string>> = {
  hosts: new Set([
    'host.id',
    'host.name',
    'host.ip',
    'host.last_source',
    'host.threat',
    'host.certainty',
    'host.severity',
    'host.state',
    'host.tags',
    'host.is_key_asset',
    'host.privilege_level',
    'host.last_detection_timestamp',
    'host.ldap.dns_hostname',
    'host.ldap.netbios_name',
    'host.ldap.mac_address',
  ]),
  detections: new Set([
    'detection.id',
    'detection.category',
    'detection.detection_type',
    'detection.src_ip',
    'detection.state',
    'detection.threat',
    'detection.certainty',
    'detection.tags',
    'detection.is_triaged',
    'detection.grouped_details.dst_ips',
    'detection.grouped_details.target_domains',
    'detection.grouped_details.src_ip',
    'detection.grouped_details.account_uids',
    'detection.src_account.privilege_level',
  ]),
  accounts: new Set([
    'account.id',
    'account.name',
    'account.account_type',
    'account.threat',
    'account.certainty',
    'account.state',
    'account.tags',
    'account.privilege_level',
  ]),
};

/** The documented `fields=` values of a host list (vat `_generate_host_params`) plus the v2.5 additions. */
export const HOST_FIELDS = new Set([
  'id',
  'name',
  'active_traffic',
  'has_active_traffic',
  't_score',
  'threat',
  'c_score',
  'certainty',
  'severity',
  'last_source',
  'ip',
  'previous_ips',
  'last_detection_timestamp',
  'key_asset',
  'is_key_asset',
  'state',
  'targets_key_asset',
  'is_targeting_key_asset',
  'detection_set',
  'host_artifact_set',
  'sensor',
  'sensor_name',
  'tags',
  'note',
  'note_modified_by',
  'note_modified_timestamp',
  'url',
  'host_url',
  'last_modified',
  'assigned_to',
  'assigned_date',
  'groups',
  'has_custom_model',
  'privilege_level',
  'privilege_category',
  'probable_owner',
  'detection_profile',
  'last_seen',
  'ldap',
]);
