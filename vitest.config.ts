import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/stack/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          // Integration files share one OpenSearch node and one moto server; each uses its own
          // index prefix and queue names, but two CPUs cannot run many of them at once usefully.
          fileParallelism: false,
        },
      },
    ],
  },
});
