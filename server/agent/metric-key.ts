/** A metric name with its labels in Prometheus exposition syntax, labels sorted by name. */
export function metricKey(name: string, labels: Record<string, string> = {}): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return name;
  const pairs = names.map((label) => `${label}="${escapeLabelValue(labels[label] ?? '')}"`);
  return `${name}{${pairs.join(',')}}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Metric values of one snapshot, keyed by `metricKey`. */
export type MetricValues = Record<string, number>;

/** Orders by name in code-unit order: `localeCompare` would load ICU collation data, some 3 MiB resident. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
