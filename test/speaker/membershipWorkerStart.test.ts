import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { SPEAKER_LEASE_ANNOTATIONS, speakerLeaseName } from '@herald/core';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { adminKubeConfig, testNamespace } from '../cluster/kube.js';
import { waitFor } from '../processes.js';

// The speaker publishes its state (links, ready flag) as soon as it has one, which can be before the
// membership thread runs: such a state was posted to no thread and lost, and heartbeats and the Lease
// carried the initial one until something else changed. The compiled thread (dist/) with a real apiserver:
// the Lease this node writes must show the state set before start(), with nothing set after it.
const DIST = fileURLToPath(new URL('../../packages/speaker/dist/membership/membershipWorker.js', import.meta.url));
const THREAD = new URL('../../packages/speaker/dist/membership/membershipThread.js', import.meta.url);

describe('MembershipWorker', () => {
  it('starts its thread with the state set before start(), not the initial one', async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first`);
    const { MembershipWorker } = await import(DIST) as typeof import('../../packages/speaker/src/membership/membershipWorker.js');
    const namespace = await testNamespace('mworker');
    const dir = mkdtempSync(join(tmpdir(), 'hrl-mworker-'));
    const keyFile = join(dir, 'heartbeat.key');
    writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
    const worker = new MembershipWorker({
      url: THREAD,
      thread: {
        node: 'mw1',
        incarnation: 1,
        heartbeat: { address: '127.0.0.1', port: randomInt(20_000, 40_000), intervalMs: 100, deadAfterMs: 500 },
        key: { file: keyFile, graceMs: 1_000, pollMs: 1_000 },
        initialState: { draining: false, ready: false, interfaces: [], announcing: [] },
        protocol: 'auto',
        log: { level: 'silent', base: {} },
        mainLoopBoundMs: 1_500,
      },
      leases: { kubeConfig: adminKubeConfig(), namespace },
      registry: new Registry(),
      log: pino({ level: 'silent' }),
      onExit: () => undefined,
    });
    worker.setLocalState({ draining: false, ready: false, interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'] }], announcing: [] });
    await worker.start();
    try {
      const leases = adminKubeConfig().makeApiClient(k8s.CoordinationV1Api);
      let interfaces: string | undefined;
      await waitFor('mw1\'s Lease', async () => {
        const lease = await leases.readNamespacedLease({ name: speakerLeaseName('mw1'), namespace });
        interfaces = lease.metadata?.annotations?.[SPEAKER_LEASE_ANNOTATIONS.interfaces];
        return interfaces !== undefined;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      expect(interfaces).toBe('eth0=192.0.2.11/24');
    } finally {
      await worker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
