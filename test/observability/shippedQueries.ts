// The PromQL herald ships, taken from `helm template` output (what users install), not from the source files.
import { type Helm, type KubeObject, find, mustTemplate } from '../chart/helm.js';

export interface RuleGroup {
  name: string;
  rules: { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
}

export interface ShippedQuery {
  /** Where it comes from: `alert HeraldX` or `panel "Title" A` or `variable namespace`. */
  source: string;
  expr: string;
  annotations: string[];
}

/** The chart with its PrometheusRule and dashboard on, rendered into `namespace`; the caller's afterAll calls removeScratch. */
export async function renderObservability(helm: Helm, o: { namespace?: string; values?: Record<string, unknown> } = {}): Promise<KubeObject[]> {
  const values = { prometheus: { prometheusRule: { enabled: true } }, grafanaDashboard: { enabled: true }, ...o.values };
  return mustTemplate(helm, values, o.namespace ? ['--namespace', o.namespace] : []);
}

export const ruleGroups = (objects: KubeObject[]) => find<{ spec: { groups: RuleGroup[] } }>(objects, 'PrometheusRule', 'herald').spec.groups;

interface Panel {
  title: string;
  type: string;
  targets?: { refId: string; expr: string }[];
}

export function dashboard(objects: KubeObject[]): { panels: Panel[]; templating: { list: { name: string; query?: unknown }[] } } {
  const cm = find<{ data: Record<string, string> }>(objects, 'ConfigMap', 'herald-dashboard');
  return JSON.parse(cm.data['herald.json']!) as ReturnType<typeof dashboard>;
}

/** Every alert expression and every dashboard query (panels and template variables). */
export function shippedQueries(objects: KubeObject[]): ShippedQuery[] {
  const out: ShippedQuery[] = [];
  for (const g of ruleGroups(objects)) for (const r of g.rules) out.push({ source: `alert ${r.alert}`, expr: r.expr, annotations: Object.values(r.annotations ?? {}) });
  const d = dashboard(objects);
  for (const p of d.panels) for (const t of p.targets ?? []) out.push({ source: `panel "${p.title}" ${t.refId}`, expr: t.expr, annotations: [] });
  for (const v of d.templating.list) {
    const q = v.query as { query?: string } | string | undefined;
    const expr = typeof q === 'string' ? q : q?.query;
    if (expr && expr.includes('(')) out.push({ source: `variable ${v.name}`, expr, annotations: [] });
  }
  return out;
}
