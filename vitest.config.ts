import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // two cores: keep heavy suites from starving each other
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
