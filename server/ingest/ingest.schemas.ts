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

const sample = z.strictObject({
  ts: z.union([z.string().max(40), z.number()], { error: 'must be an RFC 3339 time or epoch milliseconds' }),
  values: z
    .unknown()
    .superRefine(checkKeys(reservedKey))
    .pipe(z.record(z.string(), z.number({ error: 'must be a finite number' }))),
});

const host = z
  .unknown()
  .superRefine(checkKeys(reservedKey))
  .pipe(
    z.strictObject({
      host: hostName,
      labels: hostLabels.optional(),
      samples: z
        .array(sample)
        .max(ingestLimits.samples, `a request holds at most ${ingestLimits.samples} samples`),
    }),
  );

/** A sample ready to store: its series parsed, its time in epoch milliseconds. */
export interface IngestHost {
  host: string;
  labels: Record<string, string>;
  ts: number[];
  series: ParsedSeries[];
  values: number[];
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
      const row: IngestHost = { host: h.host, labels: { ...h.labels }, ts: [], series: [], values: [] };
      samples += h.samples.length;
      h.samples.forEach((s, si) => {
        const path = ['hosts', hi, 'samples', si];
        const ts = parseTimestamp(s.ts);
        if (ts === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'ts'],
            message: 'must be an RFC 3339 time or epoch milliseconds',
          });
          return;
        }
        if (ts < minTs || ts > now + maxFutureMs) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'ts'],
            message: ts < minTs ? 'is before the year 2000' : 'is more than 10 minutes in the future',
          });
          return;
        }
        // Times are kept to the second; a second sample in the same second is a duplicate.
        const second = Math.floor(ts / 1000) * 1000;
        for (const key of Object.keys(s.values)) {
          values++;
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
            ctx.addIssue({ code: 'custom', path: [...path, 'values', key], message: parsed });
            continue;
          }
          const value = s.values[key] as number;
          if (value < 0 && parsed.metric.endsWith('_bytes')) {
            ctx.addIssue({
              code: 'custom',
              path: [...path, 'values', key],
              message: 'a _bytes metric cannot be negative',
            });
            continue;
          }
          row.ts.push(second);
          row.series.push(parsed);
          row.values.push(value);
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
