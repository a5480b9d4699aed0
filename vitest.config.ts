import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary'],
      // The contract core is held to a floor; the rest is measured and reported.
      thresholds: { 'src/relay/**': { lines: 90, branches: 85, functions: 90 } },
    },
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret-not-real',
      AWS_REGION: 'us-east-1',
    },
  },
});
