/** Registry entry of VAR's test client (`block_clients=test_client`): no fields, no upstream. */
import { declareBlockClient } from '../../kernel/block-client.js';
import { createTestClient, TEST_CLIENT_CAPABILITIES } from './actions.js';
import { TEST_CLIENT_NAME } from './client.js';

export const testClient = declareBlockClient({
  module: 'test_client',
  name: TEST_CLIENT_NAME,
  product: "VAR's test client (records tags in Vectra only, changes nothing elsewhere)",
  capabilities: TEST_CLIENT_CAPABILITIES,
  fields: {},
  permissions: 'none',
  configure: () => ({}),
  create: () => createTestClient(),
});
