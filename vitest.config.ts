import { defineConfig } from 'vitest/config';

// Three projects: `unit` is pure and parallel; `integration` shares one real control plane per run (started
// in globalSetup) and creates network namespaces, so it needs root and runs its files one at a time; `scale`
// is like integration but heavy, and runs alone (test/run.mjs, the npm test command, gives it its own phase).
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
          // test/nodes: real kubelet nodes (kubelet, containerd, CNI, kube-proxy), the first steps of
          // test/install/pods.e2e.test.ts in isolation.
          include: ['test/**/*.test.ts'],
          exclude: ['test/fixtures/**', 'test/scale/**'],
          globalSetup: ['test/cluster/globalSetup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      // Scale e2e (1,000 addresses on 3 real speakers, minutes): part of npm test, but test/run.mjs runs it in a
      // phase of its own after unit and integration have finished (`node test/run.mjs --project scale` alone),
      // because a host loaded by other suites starves the speakers' garbage collector into pauses that read as
      // deaths. A plain `vitest run` that selects it with the others runs its file one at a time with
      // integration's (both have fileParallelism off), after the unit tests, but on a host the rest just loaded.
      {
        test: {
          name: 'scale',
          include: ['test/scale/**/*.test.ts'],
          globalSetup: ['test/cluster/globalSetup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
