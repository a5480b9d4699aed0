/** Model objects for block-client tests: a base host that each test spreads its overrides into. */
import type { VectraHost } from '../../src/kernel/model.js';

export function makeHost(over: Partial<VectraHost> = {}): VectraHost {
  return {
    kind: 'host',
    id: 7,
    name: 'ws-7',
    ip: '198.51.100.7',
    previousIps: [],
    probableOwner: null,
    threat: 50,
    certainty: 50,
    urgency: null,
    severity: null,
    state: 'active',
    isKeyAsset: false,
    macAddresses: [],
    artifacts: [],
    groups: [],
    lastSeen: null,
    lastDetectionTimestamp: null,
    fullName: over.name ?? 'ws-7',
    detectionIds: [],
    allTags: [],
    tags: [],
    blockedElements: {},
    pendingElements: {},
    clientRestrictions: [],
    ...over,
  };
}
