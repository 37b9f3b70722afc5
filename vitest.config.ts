import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ first: the CLI, system and several integration tests spawn it.
    globalSetup: ['test/setup/build-dist.ts'],
    pool: 'forks',
    // Two files at a time, whatever the core count (vitest's default is one on 2 cores): most
    // tests wait on child processes, sockets and PostgreSQL rather than on the CPU.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
