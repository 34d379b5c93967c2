import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { changesRoutes } from './changes/changes.routes.ts';
import type { ChangesService } from './changes/changes.service.ts';
import type { DatabaseHandle } from './db/database.ts';
import { analysisRoutes } from './analysis/analysis.routes.ts';
import type { AnalysisService } from './analysis/analysis.service.ts';
import { alertmanagerRoutes } from './alertmanager/alertmanager.routes.ts';
import type { AlertmanagerService } from './alertmanager/alertmanager.service.ts';
import { createErrorHandler } from './http/error-handler.ts';
import { AppError } from './http/errors.ts';
import { timeRequests, type Metrics } from './http/metrics.ts';
import { requestLog } from './http/request-log.ts';
import { incidentsRoutes } from './incidents/incidents.routes.ts';
import type { IncidentsService } from './incidents/incidents.service.ts';
import { ingestRoutes } from './ingest/ingest.routes.ts';
import type { IngestService } from './ingest/ingest.service.ts';
import type { Logger } from './logger.ts';
import { remoteWriteRoutes } from './prometheus/remote-write.routes.ts';
import type { ReportService } from './report/report.service.ts';
import { seriesRoutes } from './series/series.routes.ts';
import type { TokenService } from './tokens/tokens.service.ts';
import { heatmapRoutes } from './analysis/heatmap.routes.ts';
import type { HeatmapService } from './analysis/heatmap.service.ts';
import { loadWebSession, webSessionRoutes } from './web-session/web-session.routes.ts';
import type { WebSessionService } from './web-session/web-session.service.ts';
import { webUi } from './web-session/web-ui.static.ts';

export interface Readiness {
  /** Reasons the server is not ready yet; empty once it is. */
  pending(): string[];
}

export interface AppDeps {
  database: DatabaseHandle;
  logger: Logger;
  metrics: Metrics;
  tokens: TokenService;
  ingest: IngestService;
  analysis: AnalysisService;
  changes: ChangesService;
  incidents: IncidentsService;
  report: ReportService;
  alertmanager: AlertmanagerService;
  heatmap: HeatmapService;
  webSessions: WebSessionService;
  /** Shared secret of push webhooks; without it they are refused. */
  webhookSecret?: string | undefined;
  readiness: Readiness;
  maxBodyBytes: number;
}

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web/dist');

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLog(deps.logger));
  app.use(timeRequests(deps.metrics));
  app.use('/api', loadWebSession(deps.webSessions));

  app.get('/healthz', (_req, res) => {
    const pending = deps.readiness.pending();
    res
      .status(pending.length === 0 ? 200 : 503)
      .json({ status: pending.length === 0 ? 'ok' : 'starting', pending });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.use(
    ingestRoutes({
      tokens: deps.tokens,
      ingest: deps.ingest,
      metrics: deps.metrics,
      maxBodyBytes: deps.maxBodyBytes,
    }),
  );
  app.use(
    remoteWriteRoutes({
      tokens: deps.tokens,
      ingest: deps.ingest,
      metrics: deps.metrics,
      maxBodyBytes: deps.maxBodyBytes,
    }),
  );
  app.use(seriesRoutes({ db: deps.database.db, tokens: deps.tokens }));
  app.use(
    changesRoutes({
      tokens: deps.tokens,
      changes: deps.changes,
      webhookSecret: deps.webhookSecret,
      maxBodyBytes: deps.maxBodyBytes,
    }),
  );
  app.use(analysisRoutes({ tokens: deps.tokens, analysis: deps.analysis }));
  app.use(incidentsRoutes({ tokens: deps.tokens, incidents: deps.incidents, report: deps.report }));
  app.use(
    alertmanagerRoutes({
      tokens: deps.tokens,
      alertmanager: deps.alertmanager,
      maxBodyBytes: deps.maxBodyBytes,
    }),
  );
  app.use(heatmapRoutes({ tokens: deps.tokens, heatmap: deps.heatmap }));
  app.use(webSessionRoutes({ tokens: deps.tokens, sessions: deps.webSessions }));

  app.use('/api', (_req, _res, next) => next(new AppError('not_found', 'no such API endpoint')));
  app.use(webUi(webDir));
  app.use((_req, _res, next) => next(new AppError('not_found', 'not found')));

  app.use(createErrorHandler(deps.logger));
  return app;
}
