/** `onset detect FILE [--json]`: the change points of one exported series. */
import { readFile } from 'node:fs/promises';
import { DateTime } from 'luxon';
import { type Command, UsageError, parseCommandArgs } from '../cli/main.ts';
import { type ChangePoint, detectChanges } from './changepoint.ts';

const HELP = `usage: onset detect FILE [--json]

FILE holds one series: CSV lines "timestamp,value" (RFC 3339 or epoch milliseconds; a header line is
allowed) or JSON [{"ts": …, "value": …}]. Prints the change points: the 0-based index of the first point
after each change, its time, and what changed (slope, level, both, or spike: a short excursion that returns).
`;

interface Point {
  ts: number;
  value: number;
  /** 1-based line (CSV) or 0-based element (JSON), for messages. */
  where: string;
}

/** A bad input file: exit 2, with where in the file. */
export class InputError extends UsageError {}

function parseTime(raw: unknown, where: string): number {
  if (typeof raw === 'number') {
    if (Number.isFinite(raw)) return raw;
  } else if (typeof raw === 'string') {
    const s = raw.trim();
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    const dt = DateTime.fromISO(s, { setZone: true });
    if (dt.isValid && /(Z|[+-]\d\d:?\d\d)$/i.test(s)) return dt.toMillis();
  }
  throw new InputError(
    `${where}: timestamp ${JSON.stringify(raw)} is neither RFC 3339 nor epoch milliseconds`,
  );
}

function parseValue(raw: unknown, where: string): number {
  const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new InputError(`${where}: value ${JSON.stringify(raw)} is not a finite number`);
}

export function parseSeriesText(text: string, name: string): Point[] {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trimStart().startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch (err) {
      throw new InputError(`${name}: not valid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(data)) throw new InputError(`${name}: expected a JSON array of {"ts", "value"}`);
    return data.map((item: unknown, i) => {
      const where = `${name}: element ${i}`;
      if (typeof item !== 'object' || item === null)
        throw new InputError(`${where}: expected {"ts", "value"}`);
      const { ts, value } = item as { ts?: unknown; value?: unknown };
      return { ts: parseTime(ts, where), value: parseValue(value, where), where };
    });
  }
  const points: Point[] = [];
  const lines = body.split(/\r?\n/);
  lines.forEach((line, i) => {
    const where = `${name}:${i + 1}`;
    if (line.trim() === '') return;
    const fields = line.split(',');
    if (fields.length !== 2)
      throw new InputError(`${where}: expected "timestamp,value", got ${fields.length} fields`);
    const [rawTs, rawValue] = fields as [string, string];
    // A header: the first non-empty line whose value is not a number.
    if (points.length === 0 && !Number.isFinite(Number(rawValue.trim())) && !/^\s*\d/.test(rawTs)) return;
    points.push({ ts: parseTime(rawTs, where), value: parseValue(rawValue, where), where });
  });
  return points;
}

function iso(ms: number): string {
  return DateTime.fromMillis(ms, { zone: 'utc' }).toISO({ suppressMilliseconds: true }) ?? String(ms);
}

export function changepointsJson(changes: ChangePoint[]): object {
  return {
    changepoints: changes.map((c) => ({
      index: c.index,
      ts: iso(c.ts),
      kind: c.kind,
      interval: [iso(c.lo), iso(c.hi)],
      rate_before_per_hour: c.rateBefore,
      rate_after_per_hour: c.rateAfter,
      jump: c.jump,
      size: c.size,
    })),
  };
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a >= 1e5 || (a > 0 && a < 1e-2) ? v.toExponential(2) : v.toFixed(2);
}

export const detectCommand: Command = {
  summary: 'change points of one series in a CSV or JSON file',
  async run(argv) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('expected one FILE (see --help)');
    const file = positionals[0]!;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new InputError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const points = parseSeriesText(text, file);
    // Input order defines the index; detection needs time order.
    const order = points.map((_, i) => i).sort((a, b) => points[a]!.ts - points[b]!.ts);
    for (let k = 1; k < order.length; k++) {
      const p = points[order[k]!]!;
      if (p.ts === points[order[k - 1]!]!.ts)
        throw new InputError(`${p.where}: repeats timestamp ${iso(p.ts)}`);
    }
    const ts = Float64Array.from(order, (i) => points[i]!.ts);
    const vals = Float64Array.from(order, (i) => points[i]!.value);
    const changes = detectChanges(ts, vals).changes.map((c) => ({ ...c, index: order[c.index]! }));
    if (values.json) {
      process.stdout.write(JSON.stringify(changepointsJson(changes)) + '\n');
      return 0;
    }
    const lines = [`${file}: ${points.length} points, ${changes.length} change point(s)`];
    for (const c of changes) {
      lines.push(
        `  #${c.index}  ${iso(c.ts)}  ${c.kind.padEnd(5)}  rate ${fmt(c.rateBefore)} → ${fmt(c.rateAfter)} per hour,` +
          ` jump ${fmt(c.jump)}  (95%: ${iso(c.lo)} … ${iso(c.hi)})`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
