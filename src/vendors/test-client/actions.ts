/** VAR operations of the test client: ids in, ids out, no side effect. */

import type { BlockClient } from '../../kernel/block-client.js';
import { defineBlockClient } from '../../kernel/block-client.js';
import { elementIdFor, storedIds, TEST_CLIENT_NAME } from './client.js';

export const TEST_CLIENT_CAPABILITIES = ['host', 'account', 'detection', 'static-ips'] as const;

export function createTestClient(): BlockClient {
  return defineBlockClient(
    { module: 'test_client', name: TEST_CLIENT_NAME, capabilities: TEST_CLIENT_CAPABILITIES },
    {
      blockHost: async (host) => [elementIdFor('host', host.id)],
      unblockHost: async (host) => storedIds(host.blockedElements),
      blockAccount: async (account) => [elementIdFor('account', account.id)],
      unblockAccount: async (account) => storedIds(account.blockedElements),
      blockDetection: async (detection) => [elementIdFor('detection', detection.id)],
      unblockDetection: async (detection) => storedIds(detection.blockedElements),
      // VAR's test client only logs static IPs; answering them keeps the engine's report honest.
      blockStaticDstIps: async (ips) => ips.dstIps.map((ip) => ({ ip, id: ip })),
      unblockStaticDstIps: async (ips) => ips.dstIps.map((ip) => ({ ip, id: ip })),
    },
  );
}
