// A real Prometheus scrapes a running herald (the controller and two speakers in the test LAN) and evaluates
// the chart's rules: every metric and label the alerts and the dashboard use must exist in what it scraped,
// every query must parse and evaluate, and alerts go active exactly when the world gives them a reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, cluster } from '../cluster/kube.js';
import { helmBinaries, removeScratch } from '../chart/helm.js';
import { waitFor } from '../processes.js';
import { SpeakerWorld } from '../speaker/speakerWorld.js';
import { namesUsed } from './promqlNames.js';
import { startPrometheus, type PrometheusProcess, type ScrapeTarget } from './prometheusProcess.js';
import { renderObservability, ruleGroups, shippedQueries, type ShippedQuery } from './shippedQueries.js';

interface Alert { labels: Record<string, string>; state: 'pending' | 'firing'; annotations: Record<string, string> }

describe('a real Prometheus scraping herald, with the chart\'s rules and dashboard', () => {
  const world = new SpeakerWorld(adminKubeConfig(), cluster(), 2);
  let prometheus: PrometheusProcess | undefined;
  let queries: ShippedQuery[] = [];
  let address = '';
  let owner = '';
  const ns = () => world.releaseNs;
  const podOf = (node: string) => `herald-speaker-${node}`;

  beforeAll(async () => {
    world.metricsOn = 'management';
    const [helm] = await helmBinaries();
    await world.start();
    // Rendered into the world's namespace, as a user's install would be; no kube-state-metrics here.
    const objects = await renderObservability(helm!, { namespace: ns(), values: { prometheus: { prometheusRule: { enabled: true, kubeStateMetrics: false } } } });
    queries = shippedQueries(objects);
    const targets: ScrapeTarget[] = [
      { job: `${ns()}/herald-controller`, address: `127.0.0.1:${world.controller.metricsPort}`, labels: { namespace: ns(), pod: 'herald-controller-0', container: 'controller', endpoint: 'metrics' } },
      ...[...world.speakers.values()].map((s) => ({
        job: `${ns()}/herald-speaker`,
        address: `${s.metricsHost}:${s.metricsPort}`,
        // node: the label the chart's monitors relabel from the pod's node.
        labels: { namespace: ns(), pod: podOf(world.nodeName(s.node)), node: world.nodeName(s.node), container: 'speaker', endpoint: 'metrics' },
      })),
    ];
    expect(targets.slice(1).every((t) => t.address.startsWith('203.0.113.')), 'speakers scraped on their management addresses').toBe(true);
    prometheus = await startPrometheus({ targets, ruleGroups: ruleGroups(objects) });
    // Every series is scraped once before anything happens: the conflict below must show as an increase.
    await waitFor('a first scrape of every speaker\'s conflict counters', async () => {
      const r = await prometheus!.api<{ result: unknown[] }>('/api/v1/query', { query: `herald_speaker_conflicts_total{family="IPv4",source="foreign"} == 0` });
      return r.result.length === world.speakers.size;
    }, { timeoutMs: 15_000, intervalMs: 250 });

    // Give the metrics that only appear once something happens a reason to appear: an exhausted pool, a
    // Service that fits no pool, ARP traffic to the address, and a foreign MAC claiming it.
    await world.pool('obs', ['192.0.2.230']);
    for (const n of world.lan.nodes) await world.readyPod('web', n);
    await world.service('web');
    [address] = await world.waitForAddress('web') as [string];
    owner = await world.announcer(address);
    await world.service('more');
    await world.service('nopool', { pool: 'does-not-exist' });
    await world.lan.arping(address, { count: 2 });
    await world.lan.exec(world.lan.client.netns, ['sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']);
    await world.lan.exec(world.lan.client.netns, ['arping', '-U', '-c', '2', '-I', 'eth0', address]);
    await waitFor('the conflict in the owner\'s metrics', async () => /herald_speaker_conflicts_total\{family="IPv4",source="foreign"\} [1-9]/.test(await world.speakerMetrics(world.nodeByName(owner))), { timeoutMs: 5_000 });
  }, 180_000);

  afterAll(async () => {
    // The chart's scratch directory (the values file of the render above).
    removeScratch();
    await prometheus?.stop();
    await world.stop();
  }, 60_000);

  const scrapedNames = async () => new Set(await prometheus!.api<string[]>('/api/v1/label/__name__/values'));

  it('scrapes the controller and every speaker', async () => {
    await waitFor('every target up', async () => {
      const up = await prometheus!.api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('/api/v1/query', { query: 'up' });
      return up.result.length === 1 + world.speakers.size && up.result.every((r) => r.value[1] === '1');
    }, { timeoutMs: 15_000, intervalMs: 250 });
  });

  it('every metric and label that an alert or a dashboard query uses exists in what Prometheus scraped', async () => {
    const needed = new Map<string, ShippedQuery[]>();
    for (const q of queries) for (const m of namesUsed(q.expr).metrics) needed.set(m, [...(needed.get(m) ?? []), q]);
    expect(needed.size).toBeGreaterThan(20);
    let missing: string[] = [];
    await waitFor('every metric the rules and the dashboard use', async () => {
      const names = await scrapedNames();
      missing = [...needed.keys()].filter((m) => !names.has(m));
      return missing.length === 0;
    }, { timeoutMs: 20_000, intervalMs: 500 }).catch(() => {
      expect.fail(`not scraped: ${missing.map((m) => `${m} (${needed.get(m)!.map((q) => q.source).join(', ')})`).join('; ')}`);
    });

    const labelsOf = new Map<string, Set<string>>();
    for (const m of needed.keys()) {
      const series = await prometheus!.api<Record<string, string>[]>('/api/v1/series', { 'match[]': m });
      labelsOf.set(m, new Set(series.flatMap((s) => Object.keys(s))));
    }
    const problems: string[] = [];
    for (const q of queries) {
      const used = namesUsed(q.expr, q.annotations);
      for (const m of used.metrics) {
        for (const l of used.labels) {
          if (l === 'le' && !m.endsWith('_bucket')) continue;
          if (!labelsOf.get(m)!.has(l)) problems.push(`${q.source}: ${m} has no label ${l} (it has ${[...labelsOf.get(m)!].join(', ')})`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every alert expression and dashboard query evaluates, and the rules evaluate without errors', async () => {
    const failures: string[] = [];
    for (const q of queries) {
      const expr = q.expr.replaceAll('$namespace', ns()).replaceAll('$__rate_interval', '1m');
      const query = q.source.startsWith('variable') ? expr.replace(/^label_values\(\s*([\w:]+)\s*,.*\)$/, '$1') : expr;
      await prometheus!.api('/api/v1/query', { query }).catch((e: Error) => failures.push(`${q.source}: ${e.message}`));
    }
    expect(failures).toEqual([]);
    // A dashboard query that returns data in a live world: addresses per pool, announced per node.
    const inUse = await prometheus!.api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('/api/v1/query', { query: `max by (pool, family) (herald_pool_addresses_in_use{namespace="${ns()}"})` });
    expect(inUse.result.map((r) => [r.metric.pool, r.metric.family, r.value[1]])).toContainEqual(['obs', 'IPv4', '1']);
    const announced = await prometheus!.api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('/api/v1/query', { query: `sum by (node) (herald_speaker_addresses_announced{namespace="${ns()}", family="IPv4"})` });
    expect(announced.result.find((r) => r.metric.node === owner)?.value[1]).toBe('1');

    await waitFor('every rule group evaluated', async () => {
      const r = await prometheus!.api<{ groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules');
      return r.groups.length === 3 && r.groups.every((g) => g.rules.every((x) => x.health === 'ok'));
    }, { timeoutMs: 10_000, intervalMs: 250 });
  });

  it('alerts: the foreign conflict fires and the exhausted pool is pending; nothing else is active', async () => {
    let alerts: Alert[] = [];
    const active = async () => (alerts = (await prometheus!.api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts);
    await waitFor('HeraldAddressConflict firing and HeraldAddressPoolExhausted pending', async () => {
      await active();
      return alerts.some((a) => a.labels.alertname === 'HeraldAddressConflict' && a.state === 'firing') && alerts.some((a) => a.labels.alertname === 'HeraldAddressPoolExhausted');
    }, { timeoutMs: 20_000, intervalMs: 500 }).catch(() => expect.fail(`active alerts: ${JSON.stringify(alerts.map((a) => [a.labels.alertname, a.state]))}`));
    const conflict = alerts.find((a) => a.labels.alertname === 'HeraldAddressConflict')!;
    expect(conflict.labels).toMatchObject({ namespace: ns(), pod: podOf(owner), family: 'IPv4', source: 'foreign', severity: 'warning' });
    expect(conflict.annotations.description).toContain(`Speaker ${podOf(owner)} saw another MAC (foreign) claim a IPv4 address`);
    expect(alerts.find((a) => a.labels.alertname === 'HeraldAddressPoolExhausted')).toMatchObject({ state: 'pending', labels: { pool: 'obs', family: 'IPv4', severity: 'critical' } });
    // The namespace, pod and job selectors of the other alerts match this healthy world: none is active
    // (HeraldControllerAbsent would be pending here if its selector missed the controller's series).
    const others = alerts.map((a) => a.labels.alertname!).filter((n) => !/^HeraldAddress(Conflict|PoolExhausted|PoolUsage\d+Percent)$/.test(n));
    expect(others).toEqual([]);
  });

  it('a speaker that stops answering makes HeraldSpeakerDown pending for its pod, and the survivor records a failover', async () => {
    const victim = [...world.speakers.values()].find((s) => world.nodeName(s.node) === owner)!;
    victim.proc.kill('SIGKILL');
    await victim.proc.exited;
    let alerts: Alert[] = [];
    await waitFor('HeraldSpeakerDown pending', async () => {
      alerts = (await prometheus!.api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
      return alerts.some((a) => a.labels.alertname === 'HeraldSpeakerDown');
    }, { timeoutMs: 15_000, intervalMs: 250 }).catch(() => expect.fail(`active alerts: ${JSON.stringify(alerts.map((a) => [a.labels.alertname, a.state]))}`));
    expect(alerts.find((a) => a.labels.alertname === 'HeraldSpeakerDown')).toMatchObject({ state: 'pending', labels: { namespace: ns(), pod: podOf(owner), severity: 'warning' } });
    await waitFor('a failover in the failover-time histogram', async () => {
      const r = await prometheus!.api<{ result: { value: [number, string] }[] }>('/api/v1/query', { query: `sum(herald_speaker_failover_duration_seconds_count{namespace="${ns()}"})` });
      return Number(r.result[0]?.value[1]) >= 1;
    }, { timeoutMs: 15_000, intervalMs: 250 });
  });
});
