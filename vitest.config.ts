import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A PostgreSQL for the store suites: DATABASE_URL, else a throwaway local server.
    globalSetup: ['test/store/postgres-setup.ts'],
    // The CLI tests spawn the real command; give them room on a 2-core CI machine.
    testTimeout: 30_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.cache/test-results.json' },
  },
});
