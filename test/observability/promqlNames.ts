// Metric and label names a PromQL expression (or an alert's annotation templates) relies on. A lexer, not a
// parser: Prometheus itself checks the syntax (promtool check rules; /api/v1/query in the scrape test).

/** PromQL words that look like metric names but are functions, aggregations or keywords. */
const KEYWORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'absent', 'absent_over_time', 'histogram_quantile',
  'vector', 'scalar', 'label_values', 'label_replace', 'clamp_min', 'clamp_max', 'time', 'humanize',
  'sum_over_time', 'avg_over_time', 'max_over_time', 'min_over_time', 'changes', 'resets', 'inf', 'nan',
]);

export interface NamesUsed {
  metrics: Set<string>;
  labels: Set<string>;
}

/** Metric names (selectors and label_values(metric, label)) and label names (matchers, grouping) of `expr`. */
export function namesUsed(expr: string, annotations: string[] = []): NamesUsed {
  // Grafana variables and string literals are not names.
  const text = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\$__\w+|\$\{?\w+\}?/g, '5m');
  const labels = new Set<string>();
  for (const m of text.matchAll(/\{([^}]*)\}/g)) for (const l of m[1]!.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.add(l[1]!);
  for (const m of text.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    for (const l of m[1]!.split(',').map((s) => s.trim()).filter(Boolean)) labels.add(l);
  }
  const lv = /label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*(\w+)\s*\)/.exec(text);
  if (lv) labels.add(lv[2]!);
  for (const a of annotations) for (const m of a.matchAll(/\$labels\.(\w+)/g)) labels.add(m[1]!);
  const withoutMatchers = (lv ? `${lv[1]!}` : text).replace(/\{[^}]*\}/g, '{}').replace(/\[[^\]]*\]/g, '[]');
  const withoutGroupings = withoutMatchers.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const metrics = new Set<string>();
  for (const m of withoutGroupings.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    const word = m[1]!;
    if (!KEYWORDS.has(word) && !/^\d/.test(word)) metrics.add(word);
  }
  return { metrics, labels };
}
