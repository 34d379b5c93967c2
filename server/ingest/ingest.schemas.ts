import { z } from 'zod';
import { labelNameProblem, limits as keyLimits, parseSeriesKey, type ParsedSeries } from './series-key.ts';

export const ingestLimits = { hosts: 5_000, samples: 50_000, values: 500_000, hostLabels: 64 } as const;

/** What Salt accepts as a minion id in practice: an FQDN or short hostname. */
export const minionIdPattern = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9_])?$/;
const minTs = Date.UTC(2000, 0, 1);
const maxFutureMs = 10 * 60_000;
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 text or epoch milliseconds to epoch milliseconds; undefined when it is neither. */
export function parseTimestamp(ts: string | number): number | undefined {
  if (typeof ts === 'number') return Number.isInteger(ts) ? ts : Math.round(ts);
  if (!rfc3339.test(ts)) return undefined;
  const ms = Date.parse(ts.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

const hostName = z
  .string()
  .max(253, 'host names are at most 253 characters')
  .regex(minionIdPattern, 'must be a Salt minion id: letters, digits, dots, dashes and underscores');

/**
 * Object keys must be checked before zod copies the object: a `__proto__` key from JSON.parse is an
 * own property of the input, but assigning it to a new object would set the prototype instead.
 */
function checkKeys(problem: (key: string) => string | undefined) {
  return (value: unknown, ctx: z.RefinementCtx) => {
    if (value === null || typeof value !== 'object') return;
    for (const key of Object.keys(value)) {
      const message = problem(key);
      if (message) ctx.addIssue({ code: 'custom', path: [key], message });
    }
  };
}
const reservedKey = (key: string) => (key === '__proto__' ? `'__proto__' is reserved` : undefined);

const hostLabels = z
  .unknown()
  .superRefine(checkKeys(labelNameProblem))
  .pipe(
    z
      .record(
        z.string(),
        z.string().max(keyLimits.labelValue, `label values are at most ${keyLimits.labelValue} characters`),
      )
      .refine(
        (labels) => Object.keys(labels).length <= ingestLimits.hostLabels,
        `a host has at most ${ingestLimits.hostLabels} labels`,
      ),
  );

/** One sample as zod checks it: only used to describe a sample that the fast check below refuses. */
const sampleSchema = z.strictObject({
  ts: z.union([z.string().max(40), z.number()], { error: 'must be an RFC 3339 time or epoch milliseconds' }),
  values: z
    .unknown()
    .superRefine(checkKeys(reservedKey))
    .pipe(z.record(z.string(), z.number({ error: 'must be a finite number' }))),
});

interface RawSample {
  ts: string | number;
  values: Record<string, number>;
}

/**
 * True only for a sample `sampleSchema` accepts as it is: exactly `ts` and `values`, a finite number or
 * short string as the time, a plain object of finite numbers as the values. A request carries thousands
 * of samples, and this loop checks them several times faster than zod; anything it does not accept is
 * handed to zod, so a bad sample gets zod's own error, at the same path.
 */
function isPlainSample(s: unknown): s is RawSample {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return false;
  let fields = 0;
  for (const key in s) {
    if (key !== 'ts' && key !== 'values') return false;
    fields++;
  }
  if (fields !== 2) return false;
  const { ts, values } = s as { ts: unknown; values: unknown };
  if (typeof ts === 'number' ? !Number.isFinite(ts) : typeof ts !== 'string' || ts.length > 40) return false;
  if (typeof values !== 'object' || values === null || Object.getPrototypeOf(values) !== Object.prototype)
    return false;
  for (const key in values) {
    if (key === '__proto__' || !Object.prototype.hasOwnProperty.call(values, key)) return false;
    const v = (values as Record<string, unknown>)[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  }
  return true;
}

const samples = z
  .array(z.unknown())
  .superRefine((list, ctx) => {
    for (let i = 0; i < list.length; i++) {
      if (isPlainSample(list[i])) continue;
      const result = sampleSchema.safeParse(list[i]);
      if (result.success) {
        list[i] = result.data;
        continue;
      }
      for (const issue of result.error.issues) {
        ctx.addIssue({ code: 'custom', path: [i, ...issue.path], message: issue.message });
      }
    }
  })
  .max(ingestLimits.samples, `a request holds at most ${ingestLimits.samples} samples`)
  .transform((list) => list as RawSample[]);

const host = z
  .unknown()
  .superRefine(checkKeys(reservedKey))
  .pipe(z.strictObject({ host: hostName, labels: hostLabels.optional(), samples }));

/** One series of a host, its samples in the order sent: times in epoch seconds. */
export interface IngestSeries {
  series: ParsedSeries;
  seconds: number[];
  values: number[];
}

/** A host's samples ready to store, grouped by series. */
export interface IngestHost {
  host: string;
  labels: Record<string, string>;
  /** Earliest and latest sample time in epoch milliseconds (±Infinity without samples). */
  firstTs: number;
  lastTs: number;
  series: IngestSeries[];
  /** Values in all its series. */
  values: number;
}

export const ingestBodySchema = z
  .strictObject({ hosts: z.array(host).min(1, 'at least one host is required').max(ingestLimits.hosts) })
  .transform((body, ctx): IngestHost[] => {
    const now = Date.now();
    const parsedKeys = new Map<string, ParsedSeries | string>();
    let samples = 0;
    let values = 0;
    const out: IngestHost[] = [];
    body.hosts.forEach((h, hi) => {
      const row: IngestHost = {
        host: h.host,
        labels: { ...h.labels },
        firstTs: Infinity,
        lastTs: -Infinity,
        series: [],
        values: 0,
      };
      // The host's series by the key as sent, and by canonical key (label order may differ).
      const bySent = new Map<string, IngestSeries>();
      const byKey = new Map<string, IngestSeries>();
      samples += h.samples.length;
      h.samples.forEach((s, si) => {
        const ts = parseTimestamp(s.ts);
        if (ts === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['hosts', hi, 'samples', si, 'ts'],
            message: 'must be an RFC 3339 time or epoch milliseconds',
          });
          return;
        }
        if (ts < minTs || ts > now + maxFutureMs) {
          ctx.addIssue({
            code: 'custom',
            path: ['hosts', hi, 'samples', si, 'ts'],
            message: ts < minTs ? 'is before the year 2000' : 'is more than 10 minutes in the future',
          });
          return;
        }
        // Times are kept to the second; a second sample in the same second is a duplicate.
        const second = Math.floor(ts / 1000);
        let counted = false;
        for (const key in s.values) {
          values++;
          let column = bySent.get(key);
          if (column === undefined) {
            let parsed = parsedKeys.get(key);
            if (parsed === undefined) {
              try {
                parsed = parseSeriesKey(key);
              } catch (err) {
                parsed = (err as Error).message;
              }
              parsedKeys.set(key, parsed);
            }
            if (typeof parsed === 'string') {
              ctx.addIssue({
                code: 'custom',
                path: ['hosts', hi, 'samples', si, 'values', key],
                message: parsed,
              });
              continue;
            }
            column = byKey.get(parsed.key);
            if (column === undefined) {
              column = { series: parsed, seconds: [], values: [] };
              byKey.set(parsed.key, column);
              row.series.push(column);
            }
            bySent.set(key, column);
          }
          const value = s.values[key] as number;
          if (value < 0 && column.series.metric.endsWith('_bytes')) {
            ctx.addIssue({
              code: 'custom',
              path: ['hosts', hi, 'samples', si, 'values', key],
              message: 'a _bytes metric cannot be negative',
            });
            continue;
          }
          column.seconds.push(second);
          column.values.push(value);
          row.values++;
          counted = true;
        }
        if (counted) {
          const ms = second * 1000;
          if (ms < row.firstTs) row.firstTs = ms;
          if (ms > row.lastTs) row.lastTs = ms;
        }
      });
      out.push(row);
    });
    if (samples > ingestLimits.samples) {
      ctx.addIssue({
        code: 'custom',
        path: ['hosts'],
        message: `a request holds at most ${ingestLimits.samples} samples`,
      });
    }
    if (values > ingestLimits.values) {
      ctx.addIssue({
        code: 'custom',
        path: ['hosts'],
        message: `a request holds at most ${ingestLimits.values} values`,
      });
    }
    const names = new Set<string>();
    for (const [i, h] of out.entries()) {
      if (names.has(h.host))
        ctx.addIssue({ code: 'custom', path: ['hosts', i, 'host'], message: 'appears twice' });
      names.add(h.host);
    }
    return out;
  });

/** The request body as clients write it (the schema's input, with the key checks' `unknown` spelled out). */
export interface IngestBody {
  hosts: {
    host: string;
    labels?: Record<string, string>;
    samples: { ts: string | number; values: Record<string, number> }[];
  }[];
}
