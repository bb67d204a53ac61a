import * as k8s from '@kubernetes/client-node';
import { GROUP, VERSION, electOwner, parseAddress, type ElectionResult, type LBAddress, type NodeFacts } from '@herald/core';
import { Reflector, type KubeObject } from '@herald/kube';
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusReporter } from '../../packages/speaker/src/election/statusReporter.js';
import type { PeerState } from '../../packages/speaker/src/election/membershipSource.js';
import { LBAddressWriter } from '../../packages/speaker/src/kube/lbAddressWriter.js';
import { createSpeakerMetrics } from '../../packages/speaker/src/metrics.js';
import { applyCrds } from '../cluster/crds.js';
import { adminKubeConfig } from '../cluster/kube.js';
import { HeraldObjects } from '../controller/heraldObjects.js';
import { waitFor } from '../processes.js';

// Two speakers' status writers racing on one LBAddress of the real API server: the owner (node-a) and a
// stale claimant (node-b) whose LBAddress cache is behind and whose election wrongly picks itself. The
// adapters are the speaker's own (StatusReporter, LBAddressWriter); facts are given as data.
type Address = LBAddress & KubeObject;
const log = pino({ level: 'silent' });
const sha256 = (t: string) => new Uint8Array(createHash('sha256').update(t).digest());
const G = { group: GROUP, version: VERSION, plural: 'lbaddresses' };
const IP = '192.0.2.77';
const node = (name: string): NodeFacts => ({ name, labels: { 'kubernetes.io/os': 'linux' }, networkUnavailable: false, member: true, draining: false, interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'] }] });
const ownedBy = (name: string): ElectionResult => ({ owner: { node: name, interface: 'eth0', draining: false }, reason: undefined, message: '', ranked: [], excluded: new Map() });
const peer = (announcing: string[]): PeerState => ({ alive: true, draining: false, ready: true, judgedBy: 'Heartbeat', heartbeatsBroken: false, interfaces: [], announcing });
const writes = async (m: ReturnType<typeof createSpeakerMetrics>, result: string) => (await m.statusWrites.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

describe('LBAddress status: only the owner writes, with a resourceVersion precondition', () => {
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const objects = new HeraldObjects(kc);
  let cache: Reflector<Address>;

  beforeAll(async () => {
    await applyCrds();
    await objects.deleteAll();
    await custom.createClusterCustomObject({ ...G, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'LBAddress', metadata: { name: IP }, spec: { address: IP, pool: 'race', services: [{ namespace: 'default', name: 'race' }] } } });
    cache = new Reflector<Address>({ kubeConfig: kc, log, resource: 'lbaddresses', path: `/apis/${GROUP}/${VERSION}/lbaddresses`, list: async () => (await custom.listClusterCustomObject(G)) as { items: Address[] }, onChange: () => undefined });
    await cache.start();
  });

  afterAll(async () => {
    cache?.stop();
    await objects.deleteAll();
  });

  it('a stale claimant cannot overwrite the owner: its write is refused (409), it re-reads and stands down', async () => {
    const stale = new Map(cache.store); // node-b's cache, frozen before node-a's write
    const mA = createSpeakerMetrics();
    const mB = createSpeakerMetrics();
    const a = new StatusReporter({ node: 'node-a', log, metrics: mA, writer: new LBAddressWriter(kc, { log, metrics: mA, node: 'node-a' }), addresses: cache.store, services: new Map() });
    const b = new StatusReporter({ node: 'node-b', log, metrics: mB, writer: new LBAddressWriter(kc, { log, metrics: mB, node: 'node-b' }), addresses: stale, services: new Map() });
    const obj = cache.store.get(IP)!;
    try {
      // The owner answers and writes; a thousand identical election rounds add no second write.
      a.announcedOn(IP, { interface: 'eth0', mac: '02:00:00:00:00:0a', at: new Date().toISOString() });
      for (let i = 0; i < 1_000; i++) a.observe([{ obj, ip: IP, result: ownedBy('node-a') }], [node('node-a'), node('node-b')], new Map([['node-b', peer([])]]));
      await waitFor('node-a named in the status', async () => ((await objects.lbAddress(IP))?.status?.node === 'node-a'), { timeoutMs: 10_000, intervalMs: 50 });
      await waitFor("the owner's write settled", () => a.sizes().inFlight === 0, { timeoutMs: 5_000, intervalMs: 20 });
      for (let i = 0; i < 1_000; i++) a.observe([{ obj, ip: IP, result: ownedBy('node-a') }], [node('node-a'), node('node-b')], new Map([['node-b', peer([])]]));
      await waitFor('the owner cache to catch up', () => cache.store.get(IP)?.status?.node === 'node-a', { timeoutMs: 5_000, intervalMs: 20 });
      for (let i = 0; i < 1_000; i++) a.observe([{ obj: cache.store.get(IP)!, ip: IP, result: ownedBy('node-a') }], [node('node-a'), node('node-b')], new Map([['node-b', peer([])]]));
      expect(await writes(mA, 'ok')).toBe(1);

      // The stale claimant believes it owns the address and answers; node-a's heartbeats list the address.
      b.announcedOn(IP, { interface: 'eth0', mac: '02:00:00:00:00:0b', at: new Date().toISOString() });
      b.observe([{ obj: stale.get(IP)!, ip: IP, result: ownedBy('node-b') }], [node('node-a'), node('node-b')], new Map([['node-a', peer([IP])]]));
      await waitFor("node-b's write refused with 409", async () => (await writes(mB, '409')) === 1, { timeoutMs: 10_000, intervalMs: 20 });
      // Its watch never catches up here, so after the fallback delay it reads the object once and decides again.
      await waitFor('node-b re-read and settled', () => b.sizes().conflicted === 0 && b.sizes().inFlight === 0 && b.sizes().dirty === 0, { timeoutMs: 10_000, intervalMs: 20 });
      b.observe([{ obj: stale.get(IP)!, ip: IP, result: ownedBy('node-b') }], [node('node-a'), node('node-b')], new Map([['node-a', peer([IP])]]));
      await new Promise((r) => setImmediate(r));
      expect(b.sizes().inFlight).toBe(0);
      expect(await writes(mB, 'ok')).toBe(0);
      const final = await objects.lbAddress(IP);
      expect(final?.status).toMatchObject({ node: 'node-a', mac: '02:00:00:00:00:0a', transitions: 1 });
    } finally {
      a.stop();
      b.stop();
    }
  });

  it('with nobody elected, only the one reporter writes why, once', async () => {
    const m = [createSpeakerMetrics(), createSpeakerMetrics()];
    const reporters = ['node-a', 'node-b'].map((n, i) => new StatusReporter({ node: n, log, metrics: m[i]!, writer: new LBAddressWriter(kc, { log, metrics: m[i]!, node: n }), addresses: cache.store, services: new Map() }));
    const parsed = parseAddress(IP);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const nodes = [node('node-a'), node('node-b')];
    const result = electOwner({ address: parsed.value, pool: { name: 'race' }, advertisements: [], nodes, services: [], sha256 });
    try {
      for (let i = 0; i < 500; i++) for (const r of reporters) r.observe([{ obj: cache.store.get(IP)!, ip: IP, result }], nodes, new Map());
      await waitFor('the no-owner reason in the status', () => cache.store.get(IP)?.status?.conditions?.some((c) => c.reason === 'NoL2Advertisement') === true, { timeoutMs: 10_000, intervalMs: 20 });
      for (let i = 0; i < 500; i++) for (const r of reporters) r.observe([{ obj: cache.store.get(IP)!, ip: IP, result }], nodes, new Map());
      await new Promise((r) => setTimeout(r, 50));
      expect(reporters.map((r) => r.sizes().inFlight + r.sizes().dirty)).toEqual([0, 0]);
      expect([await writes(m[0]!, 'ok'), await writes(m[1]!, 'ok')]).toEqual([1, 0]);
      expect(cache.store.get(IP)?.status?.node).toBeUndefined();
    } finally {
      for (const r of reporters) r.stop();
    }
  });
});
