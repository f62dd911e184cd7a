import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.tools/**'],
    // Integration tests run real k6 and real servers on two shared cores: one file at a time
    // keeps their latency figures (and the verdicts that depend on them) free of self-inflicted noise.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
