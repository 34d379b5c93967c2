import { z } from 'zod';
import { parseDuration } from '../config.ts';
import { timeParam, withWindow } from '../http/params.ts';
import { parseSeriesKey } from '../ingest/series-key.ts';

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
    const { from, to } = withWindow(q, ctx);
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
