import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ (the binary the CLI tests spawn) from the sources first.
    globalSetup: ['test/global-setup.ts'],
    // Two cores on CI: keep the worker count at the core count.
    maxWorkers: 2,
    // Many tests spawn the real binary; on a loaded two-core machine 5 s is too tight.
    testTimeout: 30_000,
  },
});
