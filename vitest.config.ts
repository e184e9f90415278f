import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// graphql ships ESM and CJS builds; Apollo loads one, vitest the other, and graphql then refuses
// schemas "from another module or realm". Pinning every import to the CJS entry avoids that.
const graphqlAlias = { graphql: require.resolve('graphql') };

export default defineConfig({
  resolve: { alias: graphqlAlias },
  test: {
    projects: [
      {
        resolve: { alias: graphqlAlias },
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        resolve: { alias: graphqlAlias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
