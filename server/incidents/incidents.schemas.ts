import { z } from 'zod';
import { parseTimestamp } from '../ingest/ingest.schemas.ts';
import { formatTime, formatTimeOrNull } from '../http/params.ts';
import type { Incident, IncidentAlert, IncidentSummary } from './incidents.service.ts';

const dayMs = 86_400_000;
const minTs = Date.UTC(2000, 0, 1);

/** Tabs and newlines are fine; other control characters would garble logs, terminals and reports. */
const noControl = (text: string) =>
  ![...text].some((ch) => {
    const code = ch.charCodeAt(0);
    return (code < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') || code === 0x7f;
  });

const title = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(300)
  .refine((t) => noControl(t) && !t.includes('\n'), 'must be one line without control characters');

const bodyTime = z
  .union([z.string().max(40), z.number()], { error: 'must be an RFC 3339 time or epoch milliseconds' })
  .transform((value, ctx) => {
    const ms = parseTimestamp(value);
    if (ms === undefined || ms < minTs) {
      ctx.addIssue({
        code: 'custom',
        message:
          ms === undefined ? 'must be an RFC 3339 time or epoch milliseconds' : 'is before the year 2000',
      });
      return z.NEVER;
    }
    return ms;
  });

const window = { from: bodyTime.optional(), to: bodyTime.optional() };

function withWindow<T extends { from?: number | undefined; to?: number | undefined }>(
  q: T,
  ctx: z.RefinementCtx,
) {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - dayMs;
  if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
  return { ...q, from, to };
}

/** `POST /api/v1/incidents`: a window (by default the last 24 hours) and an optional title. */
export const createIncidentSchema = z
  .strictObject({ title: title.optional(), ...window })
  .transform((b, ctx) => withWindow(b, ctx));

export const reanalyzeSchema = z
  .strictObject(window)
  .optional()
  .transform((b, ctx) => (b?.from === undefined && b?.to === undefined ? undefined : withWindow(b, ctx)));

export const updateIncidentSchema = z
  .strictObject({
    title: title.optional(),
    status: z.enum(['open', 'mitigated', 'resolved']).optional(),
    notes: z.string().max(100_000).optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one of title, status, notes');

export const incidentParamsSchema = z.object({
  id: z
    .string()
    .regex(/^\d{1,9}$/, 'must be an incident id')
    .transform(Number),
});

export const verdictParamsSchema = incidentParamsSchema.extend({
  sha: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{3,127}$/, 'must be a commit sha or change event id'),
});

export const verdictBodySchema = z.strictObject({ verdict: z.enum(['confirmed', 'rejected']) });

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

function alertJson(a: IncidentAlert) {
  return {
    fingerprint: a.fingerprint,
    alertname: a.alertname,
    host: a.host,
    status: a.status,
    starts_at: formatTime(a.startsAt),
    ends_at: formatTimeOrNull(a.endsAt),
    labels: a.labels,
    annotations: a.annotations,
  };
}

/** One incident: its own fields, the responders' verdicts, the alerts, and the saved analysis. */
export function toIncidentResponse(i: Incident) {
  return {
    id: i.id,
    title: i.title,
    status: i.status,
    notes: i.notes,
    source: i.source,
    from: formatTime(i.from),
    to: formatTime(i.to),
    created_at: formatTime(i.createdAt),
    updated_at: formatTime(i.updatedAt),
    analyzed_at: formatTime(i.analyzedAt),
    first_alert_at: formatTimeOrNull(i.firstAlertAt),
    last_alert_at: formatTimeOrNull(i.lastAlertAt),
    verdicts: i.verdicts.map((v) => ({
      sha: v.changeId,
      verdict: v.verdict,
      decided_at: formatTime(v.decidedAt),
      lag_minutes: Math.round((v.onsetAt - v.landedAt) / 6_000) / 10,
    })),
    alerts: i.alerts.map(alertJson),
    analysis: i.analysis,
  };
}

export function toIncidentSummaryResponse(i: IncidentSummary) {
  return {
    id: i.id,
    title: i.title,
    status: i.status,
    source: i.source,
    from: formatTime(i.from),
    to: formatTime(i.to),
    created_at: formatTime(i.createdAt),
    updated_at: formatTime(i.updatedAt),
    onset: formatTimeOrNull(i.onsetAt),
    hosts_affected: i.hostsAffected,
    hosts_total: i.hostsTotal,
    top_suspect: i.topSuspect && {
      ...(i.topSuspect.sha === undefined ? { id: i.topSuspect.id } : { sha: i.topSuspect.sha }),
      subject: i.topSuspect.subject,
      score: i.topSuspect.score,
    },
    alerts: i.alerts,
  };
}

export type IncidentResponse = ReturnType<typeof toIncidentResponse>;
export type IncidentSummaryResponse = ReturnType<typeof toIncidentSummaryResponse>;
