import { z } from 'zod';
import { parseDuration } from '../config.ts';
import { formatTime, timeParam, withWindow } from '../http/params.ts';
import { defaultHeatmapStep, heatmapSlotMs, maxHeatmapColumns, type Heatmap } from './heatmap.service.ts';

export const heatmapQuerySchema = z
  .object({
    from: timeParam.optional(),
    to: timeParam.optional(),
    metric: z.enum(['used']).default('used'),
    step: z
      .string()
      .transform((text, ctx) => {
        const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDuration(text);
        if (ms === undefined || ms < heatmapSlotMs || ms % heatmapSlotMs !== 0) {
          ctx.addIssue({
            code: 'custom',
            message: 'must be a whole number of 5-minute steps, such as 5m or 1h',
          });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
  })
  .transform((q, ctx) => {
    const window = withWindow(q, ctx);
    const step = q.step ?? defaultHeatmapStep(window);
    if ((window.to - window.from) / step > maxHeatmapColumns) {
      ctx.addIssue({
        code: 'custom',
        path: ['step'],
        message: `is too small: at most ${maxHeatmapColumns} columns`,
      });
    }
    return { ...window, metric: q.metric, step };
  });

export type HeatmapQuery = z.output<typeof heatmapQuerySchema>;

/**
 * The answer of `GET /api/v1/analysis/heatmap`: one array per host of whole percentages (0 = the host's
 * lowest used memory in the window, 100 = its highest), `null` where it sent nothing. 1,000 hosts of 240
 * columns stay under a megabyte.
 */
export function toHeatmapResponse(h: Heatmap, metric: HeatmapQuery['metric']) {
  return {
    from: formatTime(h.from),
    to: formatTime(h.to),
    metric,
    step_seconds: h.step / 1000,
    columns: h.columns,
    hosts: h.rows.map((r) => ({
      host: r.host,
      min_bytes: Math.round(r.min),
      max_bytes: Math.round(r.max),
      values: Array.from(r.values, (v) => (Number.isNaN(v) ? null : Math.round(v * 100))),
    })),
    /** The average host's `node_memory_*` components per column, bytes, for "what grew" over time. */
    composition: h.composition.map((c) => ({
      metric: c.metric,
      values: Array.from(c.values, (v) => (Number.isNaN(v) ? null : Math.round(v))),
    })),
  };
}

export type HeatmapResponse = ReturnType<typeof toHeatmapResponse>;
