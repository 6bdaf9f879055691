import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no Postgres (no global setup, no cluster);
// `pg` holds the `*.pg.test.ts` files and the global setup that starts one
// throwaway cluster for the run. `npx vitest run --project unit` runs the
// first alone. Reporters are the root's, so reports/vitest.json covers
// whatever projects ran.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/**/*.pg.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'pg',
          include: ['tests/**/*.pg.test.ts'],
          globalSetup: ['tests/setup/global-db.ts'],
        },
      },
    ],
  },
});
