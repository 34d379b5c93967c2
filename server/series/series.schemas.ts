import { z } from 'zod';
import { parseTimestamp } from '../ingest/ingest.schemas.ts';
import { parseSeriesKey } from '../ingest/series-key.ts';
import { parseDuration } from '../config.ts';

const dayMs = 86_400_000;

export const timeParam = z.string().transform((text, ctx) => {
  const ms = parseTimestamp(/^\d+$/.test(text) ? Number(text) : text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 time or epoch milliseconds' });
    return z.NEVER;
  }
  return ms;
});

/** `from`/`to` with the default of the last 24 hours. */
export const windowSchema = z
  .object({ from: timeParam.optional(), to: timeParam.optional() })
  .transform((q, ctx) => {
    const to = q.to ?? Date.now();
    const from = q.from ?? to - dayMs;
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
    return { from, to };
  });

const selector = z.string().transform((text, ctx) => {
  try {
    const { metric, labels } = parseSeriesKey(text);
    return { metric, labels };
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const maxPoints = 11_000;

export const seriesQuerySchema = z
  .object({
    host: z.string().min(1),
    metric: z.union([selector, z.array(selector).min(1).max(100)]),
    from: timeParam.optional(),
    to: timeParam.optional(),
    step: z
      .string()
      .transform((text, ctx) => {
        const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseDuration(text);
        if (ms === undefined || ms < 1000) {
          ctx.addIssue({ code: 'custom', message: 'must be a duration of at least 1s, such as 60s or 5m' });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
  })
  .transform((q, ctx) => {
    const to = q.to ?? Date.now();
    const from = q.from ?? to - dayMs;
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
    // Like Prometheus, refuse a step that would return too many points; default to about 720 points.
    const step = q.step ?? Math.max(1000, Math.ceil((to - from) / 720 / 1000) * 1000);
    if ((to - from) / step > maxPoints) {
      ctx.addIssue({
        code: 'custom',
        path: ['step'],
        message: `is too small: at most ${maxPoints} points a series`,
      });
    }
    return { host: q.host, selectors: Array.isArray(q.metric) ? q.metric : [q.metric], from, to, step };
  });
