import { z } from 'zod';
import { parseTimestamp } from '../ingest/ingest.schemas.ts';

const dayMs = 86_400_000;

/** A time in a query string: RFC 3339 or epoch milliseconds. */
export const timeParam = z.string().transform((text, ctx) => {
  const ms = parseTimestamp(/^\d+$/.test(text) ? Number(text) : text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 time or epoch milliseconds' });
    return z.NEVER;
  }
  return ms;
});

/** `from`/`to`, by default the last 24 hours. */
export function withWindow(q: { from?: number | undefined; to?: number | undefined }, ctx: z.RefinementCtx) {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - dayMs;
  if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
  return { from, to };
}

export const windowSchema = z
  .object({ from: timeParam.optional(), to: timeParam.optional() })
  .transform((q, ctx) => withWindow(q, ctx));

/** RFC 3339 in UTC, without milliseconds when there are none. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** `formatTime`, keeping null for a time not known (yet). */
export function formatTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : formatTime(ms);
}
