import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and parallel; `integration` shares one real control plane per run (started
// in globalSetup) and creates network namespaces, so it needs root and runs its files one at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/fixtures/**', 'test/nodes/**', 'test/scale/**'],
          globalSetup: ['test/cluster/globalSetup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      // Scale e2e (thousands of Services on the shared control plane, minutes each): outside npm test; run
      // with HERALD_SCALE_TESTS=1 node test/run.mjs --project scale.
      ...(process.env.HERALD_SCALE_TESTS === '1'
        ? [{
            test: {
              name: 'scale',
              include: ['test/scale/**/*.test.ts'],
              globalSetup: ['test/cluster/globalSetup.ts'],
              fileParallelism: false,
              testTimeout: 300_000,
              hookTimeout: 600_000,
            },
          }]
        : []),
      // Real kubelet nodes (issue 10, in progress): outside npm test until the whole suite is there.
      ...(process.env.HERALD_REAL_NODES === '1'
        ? [{
            test: {
              name: 'nodes',
              include: ['test/nodes/**/*.test.ts'],
              globalSetup: ['test/cluster/globalSetup.ts'],
              fileParallelism: false,
              testTimeout: 120_000,
              hookTimeout: 180_000,
            },
          }]
        : []),
    ],
  },
});
