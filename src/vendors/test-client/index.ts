/** Registry entry of VAR's test client (`block_clients=test_client`). */
import type { BlockClientModule } from '../../kernel/vendor.js';
import { createTestClient, TEST_CLIENT_CAPABILITIES } from './actions.js';
import { TEST_CLIENT_NAME } from './client.js';
import { parseTestClientConfig, type TestClientConfig } from './config.js';

export const testBlockClient: BlockClientModule<TestClientConfig> = {
  module: 'test_client',
  name: TEST_CLIENT_NAME,
  capabilities: TEST_CLIENT_CAPABILITIES,
  configure: parseTestClientConfig,
  create: createTestClient,
};
