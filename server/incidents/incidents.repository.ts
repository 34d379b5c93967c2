import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

export type IncidentStatus = 'open' | 'mitigated' | 'resolved';
export type IncidentSource = 'manual' | 'alertmanager';
export type Verdict = 'confirmed' | 'rejected';

export interface IncidentRow {
  id: number;
  title: string;
  status: IncidentStatus;
  notes: string;
  source: IncidentSource;
  from: number;
  to: number;
  analysis: unknown;
  analyzedAt: number;
  firstAlertAt: number | null;
  lastAlertAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A list entry: the incident without its analysis, and the few facts a list shows. */
export interface IncidentSummaryRow extends Omit<IncidentRow, 'analysis'> {
  onsetAt: number | null;
  hostsAffected: number | null;
  hostsTotal: number | null;
  topSuspect: { sha?: string; id?: string; subject: string; score: number } | null;
  alerts: number;
}

export interface VerdictRow {
  changeId: string;
  verdict: Verdict;
  landedAt: number;
  onsetAt: number;
  decidedBy: string;
  decidedAt: number;
}

export interface AlertRow {
  fingerprint: string;
  startsAt: number;
  endsAt: number | null;
  status: string;
  alertname: string;
  host: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  receivedAt: number;
}

export type AlertInput = Omit<AlertRow, 'receivedAt'>;

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

const incidentColumns = [
  'id',
  'title',
  'status',
  'notes',
  'source',
  'window_from',
  'window_to',
  'analyzed_at',
  'first_alert_at',
  'last_alert_at',
  'created_at',
  'updated_at',
] as const;

interface IncidentDbRow {
  id: number;
  title: string;
  status: IncidentStatus;
  notes: string;
  source: IncidentSource;
  window_from: Date;
  window_to: Date;
  analyzed_at: Date;
  first_alert_at: Date | null;
  last_alert_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toIncident(r: IncidentDbRow): Omit<IncidentRow, 'analysis'> {
  return {
    id: r.id,
    title: r.title,
    status: r.status,
    notes: r.notes,
    source: r.source,
    from: r.window_from.getTime(),
    to: r.window_to.getTime(),
    analyzedAt: r.analyzed_at.getTime(),
    firstAlertAt: ms(r.first_alert_at),
    lastAlertAt: ms(r.last_alert_at),
    createdAt: r.created_at.getTime(),
    updatedAt: r.updated_at.getTime(),
  };
}

export async function insertIncident(
  db: Db,
  i: {
    title: string;
    source: IncidentSource;
    from: number;
    to: number;
    analysis: unknown;
    analyzedAt: number;
  },
): Promise<number> {
  const row = await db
    .insertInto('incidents')
    .values({
      title: i.title,
      status: 'open',
      source: i.source,
      window_from: new Date(i.from),
      window_to: new Date(i.to),
      analysis: JSON.stringify(i.analysis),
      analyzed_at: new Date(i.analyzedAt),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findIncident(db: Db, id: number): Promise<IncidentRow | undefined> {
  const row = await db
    .selectFrom('incidents')
    .select([...incidentColumns, 'analysis'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { ...toIncident(row), analysis: row.analysis };
}

export async function listIncidents(db: Db, limit: number): Promise<IncidentSummaryRow[]> {
  const rows = await db
    .selectFrom('incidents as i')
    .select(incidentColumns.map((c) => `i.${c}` as const))
    .select([
      sql<string | null>`i.analysis->'onset'->>'ts'`.as('onset_ts'),
      sql<number | null>`(i.analysis->'onset'->>'hosts_affected')::int`.as('hosts_affected'),
      sql<number | null>`(i.analysis->>'hosts_total')::int`.as('hosts_total'),
      sql<IncidentSummaryRow['topSuspect']>`i.analysis->'suspects'->0`.as('top_suspect'),
      sql<number>`(SELECT count(*)::int FROM incident_alerts a WHERE a.incident_id = i.id)`.as('alerts'),
    ])
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    ...toIncident(r),
    onsetAt: r.onset_ts === null ? null : Date.parse(r.onset_ts),
    hostsAffected: r.hosts_affected,
    hostsTotal: r.hosts_total,
    topSuspect: r.top_suspect,
    alerts: r.alerts,
  }));
}

export async function updateIncident(
  db: Db,
  id: number,
  patch: { title?: string; status?: IncidentStatus; notes?: string },
): Promise<boolean> {
  const result = await db
    .updateTable('incidents')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function replaceAnalysis(
  db: Db,
  id: number,
  a: { from: number; to: number; analysis: unknown; analyzedAt: number },
): Promise<boolean> {
  const result = await db
    .updateTable('incidents')
    .set({
      window_from: new Date(a.from),
      window_to: new Date(a.to),
      analysis: JSON.stringify(a.analysis),
      analyzed_at: new Date(a.analyzedAt),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function upsertVerdict(
  db: Db,
  incidentId: number,
  v: Omit<VerdictRow, 'decidedAt'>,
): Promise<void> {
  await db
    .insertInto('incident_verdicts')
    .values({
      incident_id: incidentId,
      change_id: v.changeId,
      verdict: v.verdict,
      landed_at: new Date(v.landedAt),
      onset_at: new Date(v.onsetAt),
      decided_by: v.decidedBy,
    })
    .onConflict((oc) =>
      oc.columns(['incident_id', 'change_id']).doUpdateSet((eb) => ({
        verdict: eb.ref('excluded.verdict'),
        landed_at: eb.ref('excluded.landed_at'),
        onset_at: eb.ref('excluded.onset_at'),
        decided_by: eb.ref('excluded.decided_by'),
        decided_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

export async function listVerdicts(db: Db, incidentId: number): Promise<VerdictRow[]> {
  const rows = await db
    .selectFrom('incident_verdicts')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('decided_at')
    .execute();
  return rows.map((r) => ({
    changeId: r.change_id,
    verdict: r.verdict,
    landedAt: r.landed_at.getTime(),
    onsetAt: r.onset_at.getTime(),
    decidedBy: r.decided_by,
    decidedAt: r.decided_at.getTime(),
  }));
}

/** First onset − landed at of the most recently confirmed culprits, ms; one per incident and change. */
export async function listConfirmedLags(db: Db, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('incident_verdicts')
    .select(sql<number>`(extract(epoch FROM onset_at - landed_at) * 1000)::float8`.as('lag'))
    .where('verdict', '=', 'confirmed')
    .orderBy('decided_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.lag));
}

/**
 * The unresolved alert-backed incident whose alerts started nearest to [from, to], if one started
 * within `slackMs` of it.
 */
export async function findAlertIncidentNear(
  db: Db,
  q: { from: number; to: number; slackMs: number },
): Promise<number | undefined> {
  const row = await db
    .selectFrom('incidents')
    .select('id')
    .where('status', '!=', 'resolved')
    .where('last_alert_at', '>=', new Date(q.from - q.slackMs))
    .where('first_alert_at', '<=', new Date(q.to + q.slackMs))
    .orderBy('last_alert_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

/** Stores alerts, a repeated one (same fingerprint and start) updated in place; returns how many were new. */
export async function upsertAlerts(db: Db, incidentId: number, alerts: AlertInput[]): Promise<number> {
  if (alerts.length === 0) return 0;
  const rows = await db
    .insertInto('incident_alerts')
    .values(
      alerts.map((a) => ({
        incident_id: incidentId,
        fingerprint: a.fingerprint,
        starts_at: new Date(a.startsAt),
        ends_at: a.endsAt === null ? null : new Date(a.endsAt),
        status: a.status,
        alertname: a.alertname,
        host: a.host,
        labels: JSON.stringify(a.labels),
        annotations: JSON.stringify(a.annotations),
      })),
    )
    .onConflict((oc) =>
      oc.columns(['incident_id', 'fingerprint', 'starts_at']).doUpdateSet((eb) => ({
        ends_at: eb.ref('excluded.ends_at'),
        status: eb.ref('excluded.status'),
        labels: eb.ref('excluded.labels'),
        annotations: eb.ref('excluded.annotations'),
      })),
    )
    // xmax is 0 on a freshly inserted row: it tells inserts from updates.
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .execute();
  await sql`
    UPDATE incidents SET
      first_alert_at = (SELECT min(starts_at) FROM incident_alerts WHERE incident_id = ${incidentId}),
      last_alert_at = (SELECT max(starts_at) FROM incident_alerts WHERE incident_id = ${incidentId}),
      updated_at = now()
    WHERE id = ${incidentId}`.execute(db);
  return rows.filter((r) => r.inserted).length;
}

export async function createAlertIncident(
  db: Db,
  i: { title: string; from: number; to: number; analysis: unknown; analyzedAt: number },
): Promise<number> {
  return insertIncident(db, { ...i, source: 'alertmanager' });
}

export async function listAlerts(db: Db, incidentId: number): Promise<AlertRow[]> {
  const rows = await db
    .selectFrom('incident_alerts')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('starts_at')
    .orderBy('fingerprint')
    .execute();
  return rows.map((r) => ({
    fingerprint: r.fingerprint,
    startsAt: r.starts_at.getTime(),
    endsAt: ms(r.ends_at),
    status: r.status,
    alertname: r.alertname,
    host: r.host,
    labels: r.labels,
    annotations: r.annotations,
    receivedAt: r.received_at.getTime(),
  }));
}
