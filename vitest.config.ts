import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,admin,proxy,generator,bench}/test/**/*.test.ts'],
    globalSetup: ['./test-support/build.ts'],
    // .ci/run reads the JSON report for its closing "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.vitest/report.json' }]],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
