import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores on CI: keep the worker count at the core count.
    maxWorkers: 2,
  },
});
