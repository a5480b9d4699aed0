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
      // Only our sources (READMEs under src/ are not code). The contract core, the vendors and
      // the engine are held to floors at the figures of 2026-12-01, rounded down: vendors
      // 94.6/79.9/95.7/92.2 and engine 96.0/85.3/90.9/93.3 % lines/branches/functions/statements.
      // Raise them as tests are added; the rest is measured and reported.
      thresholds: {
        'src/relay/**': { lines: 90, branches: 85, functions: 90 },
        'src/vendors/**': { lines: 92, branches: 78, functions: 93, statements: 91 },
        'src/engine/**': { lines: 96, branches: 85, functions: 90, statements: 93 },
      },
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
