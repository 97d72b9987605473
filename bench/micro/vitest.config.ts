import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Paths below are relative to the repository root, whatever directory vitest is started from.
    root: fileURLToPath(new URL('../..', import.meta.url)),
    benchmark: {
      include: ['bench/micro/**/*.bench.ts'],
      outputJson: 'bench/results/micro.json',
    },
  },
});
