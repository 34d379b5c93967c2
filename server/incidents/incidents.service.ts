import type { Db } from '../db/database.ts';
import { toAnalysisResponse, type AnalysisResponse } from '../analysis/analysis.schemas.ts';
import type { AnalysisService, AnalysisWindow } from '../analysis/analysis.service.ts';
import { AppError } from '../http/errors.ts';
import { formatTime } from '../http/params.ts';
import * as repo from './incidents.repository.ts';

export type IncidentStatus = repo.IncidentStatus;
export type Verdict = repo.Verdict;
export type AlertInput = repo.AlertInput;
export type IncidentAlert = repo.AlertRow;
export type IncidentVerdict = repo.VerdictRow;
export type IncidentSummary = repo.IncidentSummaryRow;

export interface Incident extends Omit<repo.IncidentRow, 'analysis'> {
  /** The analysis API answer as it was when the incident was (re)analysed. */
  analysis: AnalysisResponse;
  verdicts: IncidentVerdict[];
  alerts: IncidentAlert[];
}

export interface IncidentPatch {
  title?: string | undefined;
  status?: IncidentStatus | undefined;
  notes?: string | undefined;
}

export interface AlertBatch {
  /** Memory alerts, firing or resolved. */
  alerts: AlertInput[];
}

export interface AlertOutcome {
  incidentId: number | null;
  created: boolean;
  /** Alerts not seen before (a repeated notification adds none). */
  added: number;
  reanalyzed: boolean;
}

export interface IncidentsService {
  create(input: { title?: string | undefined; from: number; to: number }): Promise<Incident>;
  list(limit: number): Promise<IncidentSummary[]>;
  get(id: number): Promise<Incident>;
  update(id: number, patch: IncidentPatch): Promise<Incident>;
  /** Runs the analysis again, on a new window when given. */
  reanalyze(id: number, window?: AnalysisWindow): Promise<Incident>;
  /** A responder's verdict on one of the incident's suspects, by sha (or unique prefix) or event id. */
  judge(id: number, change: string, verdict: Verdict, decidedBy: string): Promise<Incident>;
  /** Files alerts under the incident their time belongs to, opening one when none is near. */
  recordAlerts(batch: AlertBatch): Promise<AlertOutcome>;
}

const HOUR = 3_600_000;

/** How alerts become incidents: see docs/alertmanager.md. */
export const alertPolicy = {
  /** The analysis starts this long before the first alert: memory alerts fire long after the onset. */
  lookbackMs: 24 * HOUR,
  /** ...and ends this long after the last alert, or now. */
  lookaheadMs: 6 * HOUR,
  /** Alerts starting within this long of an unresolved incident's alerts join it. */
  mergeSlackMs: 2 * HOUR,
};

/** How many confirmed culprits, newest first, teach the ranking its lag. */
const confirmedLagsUsed = 50;

/** The lags of confirmed culprits (first onset − landed at, ms): the analysis service's `confirmedLags`. */
export function confirmedLagsOf(db: Db): () => Promise<number[]> {
  return () => repo.listConfirmedLags(db, confirmedLagsUsed);
}

const minute = (ms: number) => formatTime(Math.floor(ms / 60_000) * 60_000).replace(/:00Z$/, 'Z');

function defaultTitle(a: AnalysisResponse): string {
  if (a.onset === null)
    return `No site-wide change, ${minute(Date.parse(a.from))} to ${minute(Date.parse(a.to))}`;
  return `Memory growth on ${a.onset.hosts_affected} of ${a.hosts_total} hosts since ${minute(Date.parse(a.onset.ts))}`;
}

export function createIncidentsService(
  db: Db,
  deps: { analysis: AnalysisService; now?: () => number },
): IncidentsService {
  const now = deps.now ?? Date.now;
  // Alertmanager may send several notifications at once; one at a time keeps them in one incident.
  let alertQueue: Promise<unknown> = Promise.resolve();

  async function analyze(window: AnalysisWindow) {
    const report = await deps.analysis.analyze(window);
    return { analysis: toAnalysisResponse(report), analyzedAt: now() };
  }

  async function get(id: number): Promise<Incident> {
    const row = await repo.findIncident(db, id);
    if (!row) throw new AppError('not_found', `no incident ${id}`);
    const [verdicts, alerts] = await Promise.all([repo.listVerdicts(db, id), repo.listAlerts(db, id)]);
    return { ...row, analysis: row.analysis as AnalysisResponse, verdicts, alerts };
  }

  async function reanalyze(id: number, window?: AnalysisWindow): Promise<Incident> {
    const current = await get(id);
    const w = window ?? { from: current.from, to: current.to };
    await repo.replaceAnalysis(db, id, { ...w, ...(await analyze(w)) });
    return get(id);
  }

  function alertWindow(first: number, last: number): AnalysisWindow {
    const from = first - alertPolicy.lookbackMs;
    return { from, to: Math.max(from + HOUR, Math.min(now(), last + alertPolicy.lookaheadMs)) };
  }

  async function recordAlertsNow(batch: AlertBatch): Promise<AlertOutcome> {
    const alerts = batch.alerts;
    if (alerts.length === 0) return { incidentId: null, created: false, added: 0, reanalyzed: false };
    const starts = alerts.map((a) => a.startsAt);
    const first = Math.min(...starts);
    const last = Math.max(...starts);
    const id = await repo.findAlertIncidentNear(db, {
      from: first,
      to: last,
      slackMs: alertPolicy.mergeSlackMs,
    });
    if (id === undefined) {
      // Only firing alerts open an incident: a lone "resolved" has nothing left to explain.
      const firing = alerts.filter((a) => a.status === 'firing');
      if (firing.length === 0) return { incidentId: null, created: false, added: 0, reanalyzed: false };
      const window = alertWindow(Math.min(...firing.map((a) => a.startsAt)), last);
      const result = await analyze(window);
      const alertname = firing[0]?.alertname ?? 'memory alert';
      const opened = await db.transaction().execute(async (trx) => {
        const newId = await repo.createAlertIncident(trx, {
          title: `${alertname}: ${defaultTitle(result.analysis)}`,
          ...window,
          ...result,
        });
        return { id: newId, added: await repo.upsertAlerts(trx, newId, alerts) };
      });
      return { incidentId: opened.id, created: true, added: opened.added, reanalyzed: true };
    }
    const added = await repo.upsertAlerts(db, id, alerts);
    if (added === 0) return { incidentId: id, created: false, added, reanalyzed: false };
    // New hosts alerting sharpen the picture: the window follows the alerts.
    const incident = await get(id);
    await reanalyze(id, alertWindow(incident.firstAlertAt ?? first, incident.lastAlertAt ?? last));
    return { incidentId: id, created: false, added, reanalyzed: true };
  }

  return {
    async create(input) {
      const result = await analyze(input);
      const id = await repo.insertIncident(db, {
        title: input.title ?? defaultTitle(result.analysis),
        source: 'manual',
        from: input.from,
        to: input.to,
        ...result,
      });
      return get(id);
    },
    list: (limit) => repo.listIncidents(db, limit),
    get,
    async update(id, patch) {
      const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      if (!(await repo.updateIncident(db, id, set))) throw new AppError('not_found', `no incident ${id}`);
      return get(id);
    },
    reanalyze,
    async judge(id, change, verdict, decidedBy) {
      const incident = await get(id);
      const onset = incident.analysis.onset;
      const wanted = change.toLowerCase();
      const matches = incident.analysis.suspects.filter((s) => {
        const key = 'sha' in s && s.sha !== undefined ? s.sha : 'id' in s ? s.id : undefined;
        return key !== undefined && (key === change || (wanted.length >= 7 && key.startsWith(wanted)));
      });
      const suspect = matches[0];
      if (onset === null || suspect === undefined) {
        throw new AppError('not_found', `${change} is not a suspect of incident ${id}`);
      }
      if (matches.length > 1) {
        throw new AppError('request.invalid', `${change} names more than one suspect`, [
          { path: 'sha', message: 'give more of the sha' },
        ]);
      }
      await repo.upsertVerdict(db, id, {
        changeId: 'sha' in suspect && suspect.sha !== undefined ? suspect.sha : change,
        verdict,
        landedAt: Date.parse(suspect.landed_at),
        onsetAt: Date.parse(onset.ts),
        decidedBy,
      });
      return get(id);
    },
    recordAlerts(batch) {
      const run = alertQueue.then(() => recordAlertsNow(batch));
      alertQueue = run.catch(() => undefined);
      return run;
    },
  };
}
