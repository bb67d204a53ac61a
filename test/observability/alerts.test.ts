// The chart's PrometheusRule checked by Prometheus' own tools: `promtool check rules` on the rendered rule
// groups, and `promtool test rules` (alerts.promtool.yaml) with a firing and a not-firing case per alert.
// promtool comes from Debian's prometheus package (.ci/run installs it).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Helm, NAMESPACE, helmBinaries, mustTemplate, removeScratch } from '../chart/helm.js';
import { run } from '../run.js';
import { namesUsed } from './promqlNames.js';
import { dashboard, renderObservability, ruleGroups, shippedQueries, type RuleGroup } from './shippedQueries.js';

const PROMTOOL = '/usr/bin/promtool';
const CASES = join(import.meta.dirname, 'alerts.promtool.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'herald-alerts-'));
let helm: Helm;

beforeAll(async () => {
  helm = (await helmBinaries())[0]!;
}, 900_000);
afterAll(() => {
  // The chart's own scratch directory (values files for helm), made by the first render.
  removeScratch();
  rmSync(scratch, { recursive: true, force: true });
});

async function promtool(args: string[], cwd = scratch) {
  const r = await run('bash', ['-c', `cd "$1" && shift && exec "$@"`, '_', cwd, PROMTOOL, ...args]);
  return { ...r, output: `${r.stdout}${r.stderr}` };
}

function writeRules(dir: string, groups: RuleGroup[]): string {
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, stringify({ groups }));
  return file;
}

interface Case { eval_time: string; alertname: string; exp_alerts?: unknown[] }

describe('alerts (PrometheusRule) under promtool', () => {
  it('promtool is installed (Debian package prometheus)', async () => {
    const r = await run(PROMTOOL, ['--version']);
    expect(r.code, `${PROMTOOL} missing: apt-get install --no-install-recommends prometheus`).toBe(0);
    process.stdout.write(`[alerts] ${(r.stdout || r.stderr).split('\n')[0]}\n`);
  });

  it('the rendered rule groups pass promtool check rules, with default and custom values', async () => {
    for (const values of [{}, { prometheus: { prometheusRule: { enabled: true, kubeStateMetrics: false, addressPoolUsage: [{ percent: 50, severity: 'info' }, { percent: 99, severity: 'page' }] } } }]) {
      const dir = mkdtempSync(join(scratch, 'check-'));
      const groups = ruleGroups(await renderObservability(helm, { values }));
      writeRules(dir, groups);
      const r = await promtool(['check', 'rules', 'rules.yaml'], dir);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain(`SUCCESS: ${groups.flatMap((g) => g.rules).length} rules found`);
    }
  });

  it('promtool check rules refuses a broken expression (the check can fail)', async () => {
    const dir = mkdtempSync(join(scratch, 'broken-'));
    const groups = ruleGroups(await renderObservability(helm));
    groups[0]!.rules[0]!.expr = 'max by (pool (herald_pool_addresses_in_use)';
    writeRules(dir, groups);
    const r = await promtool(['check', 'rules', 'rules.yaml'], dir);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/HeraldAddressPoolExhausted|parse error/);
  });

  it('every alert has a firing and a not-firing case, and promtool test rules passes on the shipped rules', async () => {
    const groups = ruleGroups(await renderObservability(helm));
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert)).sort();
    expect(alerts.length).toBeGreaterThanOrEqual(11);
    const cases = (parse(readFileSync(CASES, 'utf8')) as { tests: { alert_rule_test: Case[] }[] }).tests.flatMap((t) => t.alert_rule_test);
    const firing = new Set(cases.filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => c.alertname));
    const quiet = new Set(cases.filter((c) => (c.exp_alerts ?? []).length === 0).map((c) => c.alertname));
    expect(alerts.filter((a) => !firing.has(a)), 'alerts without a firing case').toEqual([]);
    expect(alerts.filter((a) => !quiet.has(a)), 'alerts without a not-firing case').toEqual([]);
    expect([...firing, ...quiet].filter((a) => !alerts.includes(a)), 'cases for alerts the chart does not ship').toEqual([]);

    const dir = mkdtempSync(join(scratch, 'test-'));
    writeRules(dir, groups);
    copyFileSync(CASES, join(dir, 'alerts.promtool.yaml'));
    const r = await promtool(['test', 'rules', 'alerts.promtool.yaml'], dir);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });

  it('promtool test rules fails when an alert stops firing (a threshold changed): the cases are not vacuous', async () => {
    const groups = ruleGroups(await renderObservability(helm, { values: { prometheus: { prometheusRule: { enabled: true, addressPoolUsage: [{ percent: 75, severity: 'info' }, { percent: 95, severity: 'warning' }] } } } }));
    const dir = mkdtempSync(join(scratch, 'mutant-'));
    writeRules(dir, groups);
    copyFileSync(CASES, join(dir, 'alerts.promtool.yaml'));
    const r = await promtool(['test', 'rules', 'alerts.promtool.yaml'], dir);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('HeraldAddressPoolUsage95Percent');
  });
});

describe('names the shipped queries use (what test/observability/scrape.test.ts looks for)', () => {
  it.each([
    ['a comparison of aggregations', 'max by (pool, family) (herald_pool_addresses_in_use{namespace="x"}) >= max by (pool, family) (herald_pool_addresses_total{namespace="x"}) > 0', [], ['herald_pool_addresses_in_use', 'herald_pool_addresses_total'], ['family', 'namespace', 'pool']],
    ['a histogram quantile with Grafana variables', 'histogram_quantile(0.99, sum by (node, pod, le) (rate(herald_membership_heartbeat_rtt_seconds_bucket{namespace="$namespace"}[$__rate_interval])))', [], ['herald_membership_heartbeat_rtt_seconds_bucket'], ['le', 'namespace', 'node', 'pod']],
    ['a regex matcher and annotation labels', 'up{namespace="x", pod=~"herald-speaker-.+"} == 0', ['{{ $labels.instance }} {{ $value | humanize }}'], ['up'], ['instance', 'namespace', 'pod']],
    ['a Grafana label_values variable', 'label_values(herald_controller_leader, namespace)', [], ['herald_controller_leader'], ['namespace']],
    ['vector() and or', 'count(max by (pool) (herald_pool_valid{namespace="x"}) == 0) or vector(0)', [], ['herald_pool_valid'], ['namespace', 'pool']],
  ])('%s', (_name, expr, annotations, metrics, labels) => {
    const used = namesUsed(expr, annotations);
    expect([...used.metrics].sort()).toEqual(metrics);
    expect([...used.labels].sort()).toEqual(labels);
  });

  it('every shipped query names at least one metric, and the dashboard covers at least 25 metrics', async () => {
    const queries = shippedQueries(await renderObservability(helm));
    expect(queries.filter((q) => namesUsed(q.expr).metrics.size === 0).map((q) => q.source)).toEqual([]);
    expect(new Set(queries.filter((q) => q.source.startsWith('panel')).flatMap((q) => [...namesUsed(q.expr).metrics])).size).toBeGreaterThanOrEqual(25);
  });
});

describe('Grafana dashboard ConfigMap', () => {
  it('is off by default, and on renders herald.json with the grafana_dashboard label', async () => {
    const off = await mustTemplate(helm, {});
    expect(off.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'herald-dashboard')).toEqual([]);
    const on = await mustTemplate(helm, { grafanaDashboard: { enabled: true, namespace: 'monitoring', annotations: { grafana_folder: 'Networking' } } });
    const cm = on.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'herald-dashboard')!;
    expect(cm.metadata).toMatchObject({ namespace: 'monitoring', labels: { grafana_dashboard: '1' }, annotations: { grafana_folder: 'Networking' } });
    const d = dashboard(on);
    const source = JSON.parse(readFileSync(join(import.meta.dirname, '../../charts/herald/dashboards/herald.json'), 'utf8')) as unknown;
    expect(d).toEqual(source);
    const titles = d.panels.filter((p) => p.type !== 'row').map((p) => p.title);
    for (const t of ['Addresses assigned per pool', 'Addresses available per pool', 'Services failing assignment, by reason', 'Announced addresses per node', 'Failover time', 'Address conflicts', 'Peers alive', 'Heartbeat round trip (p99)', 'Controller writes, by kind and result', 'Event-loop lag (p99)', 'Resident memory']) {
      expect(titles).toContain(t);
    }
    expect(d.panels.filter((p) => p.type !== 'row' && !(p.targets ?? []).length).map((p) => p.title), 'panels without a query').toEqual([]);
    expect((await mustTemplate(helm, {}, ['--namespace', NAMESPACE])).length).toBe(off.length);
  });
});
