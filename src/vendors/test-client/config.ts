/** The test client takes no settings: it is enabled by listing `test_client` in `block_clients`. */
export type TestClientConfig = Record<string, never>;

export const parseTestClientConfig = (): TestClientConfig => ({});
