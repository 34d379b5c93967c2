/** Metric names and label names as Prometheus defines them; `__` prefixes are reserved there too. */
export const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const limits = {
  metricName: 200,
  labelName: 100,
  labelValue: 1024,
  labels: 32,
  seriesKey: 2048,
} as const;

export interface ParsedSeries {
  metric: string;
  labels: Record<string, string>;
  /** Canonical key: the metric with its labels sorted by name, in exposition syntax. */
  key: string;
}

export function isReservedName(name: string): boolean {
  return name.startsWith('__');
}

/** Checks a label name; returns a reason when it cannot be used. */
export function labelNameProblem(name: string): string | undefined {
  if (name.length > limits.labelName) return `label names are at most ${limits.labelName} characters`;
  if (!labelNamePattern.test(name)) return `'${truncate(name)}' is not a valid label name`;
  if (isReservedName(name)) return `label names beginning with '__' are reserved`;
  return undefined;
}

const escapeValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export function formatSeriesKey(metric: string, labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return metric;
  return `${metric}{${names.map((n) => `${n}="${escapeValue(labels[n] as string)}"`).join(',')}}`;
}

/**
 * Parses `name` or `name{label="value",…}` in Prometheus exposition syntax. Throws an Error whose
 * message says what is wrong.
 */
export function parseSeriesKey(text: string): ParsedSeries {
  if (text.length > limits.seriesKey)
    throw new Error(`series names are at most ${limits.seriesKey} characters`);
  const brace = text.indexOf('{');
  const metric = brace === -1 ? text : text.slice(0, brace);
  if (metric.length > limits.metricName)
    throw new Error(`metric names are at most ${limits.metricName} characters`);
  if (!metricNamePattern.test(metric)) throw new Error(`'${truncate(metric)}' is not a valid metric name`);
  if (isReservedName(metric)) throw new Error(`metric names beginning with '__' are reserved`);
  const labels: Record<string, string> = Object.create(null);
  if (brace !== -1) {
    if (!text.endsWith('}')) throw new Error(`labels must end with '}'`);
    parseLabels(text.slice(brace + 1, -1), labels);
  }
  return { metric, labels: { ...labels }, key: formatSeriesKey(metric, labels) };
}

function parseLabels(body: string, into: Record<string, string>): void {
  let i = 0;
  let count = 0;
  while (i < body.length) {
    const eq = body.indexOf('=', i);
    if (eq === -1) throw new Error(`expected label="value" at position ${i}`);
    const name = body.slice(i, eq).trim();
    const problem = labelNameProblem(name);
    if (problem) throw new Error(problem);
    if (Object.prototype.hasOwnProperty.call(into, name)) throw new Error(`label '${name}' appears twice`);
    i = eq + 1;
    while (body[i] === ' ') i++;
    if (body[i] !== '"') throw new Error(`the value of label '${name}' must be in double quotes`);
    i++;
    let value = '';
    for (;;) {
      const c = body[i];
      if (c === undefined) throw new Error(`the value of label '${name}' is not closed`);
      if (c === '"') break;
      if (c === '\\') {
        const next = body[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`unknown escape in the value of label '${name}'`);
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    i++;
    if (value.length > limits.labelValue)
      throw new Error(`label values are at most ${limits.labelValue} characters`);
    if (++count > limits.labels) throw new Error(`a series has at most ${limits.labels} labels`);
    if (value !== '') into[name] = value; // An empty value means the label is absent, as in Prometheus.
    while (body[i] === ' ') i++;
    if (i < body.length) {
      if (body[i] !== ',') throw new Error(`expected ',' between labels at position ${i}`);
      i++;
      while (body[i] === ' ') i++;
    }
  }
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
