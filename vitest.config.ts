import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Integration tests spawn brokers and agent processes on a 2-core machine: keep them from starving each other.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
