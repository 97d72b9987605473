import { defineConfig } from 'vitest/config';

// One project per room, so the inner loop can run a subset: `npx vitest run --project proxy`
// (projects: core, admin, proxy, generator, deploy, bench). `npm test` runs them all.
const rooms = ['core', 'admin', 'proxy', 'generator', 'deploy', 'bench'];
const shared = { testTimeout: 30_000, hookTimeout: 30_000 };

export default defineConfig({
  test: {
    // Vitest's default on 2 cores is one worker (cores - 1), which runs the files one after another;
    // most of their time is spent waiting on real sockets and processes, so two overlap well (three
    // made timing-sensitive tests flaky on a busy 2-core machine).
    maxWorkers: 2,
    // Once per run (the projects do not inherit it, so it does not run once per project).
    globalSetup: ['./test-support/build.ts'],
    // .ci/run reads the JSON report for its closing "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: '.vitest/report.json' }]],
    projects: rooms.map((name) => ({ test: { ...shared, name, include: [`${name}/test/**/*.test.ts`] } })),
  },
});
