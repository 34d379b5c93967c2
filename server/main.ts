import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAnalysisService, type AnalysisService } from './analysis/analysis.service.ts';
import { createHeatmapService } from './analysis/heatmap.service.ts';
import { createApp } from './app.ts';
import { createChangesService, type ChangesService } from './changes/changes.service.ts';
import { ConfigError, isLoopback, type Config } from './config.ts';
import { createDatabase, type DatabaseHandle, type DatabaseOptions } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createAlertmanagerService } from './alertmanager/alertmanager.service.ts';
import { createMetrics } from './http/metrics.ts';
import { createIngestService } from './ingest/ingest.service.ts';
import {
  confirmedLagsOf,
  createIncidentsService,
  type IncidentsService,
} from './incidents/incidents.service.ts';
import { createLogger, type Logger } from './logger.ts';
import { createReportService } from './report/report.service.ts';
import {
  createStorageService,
  defaultStorageOptions,
  type StorageService,
} from './storage/storage.service.ts';
import { createTokenService, type TokenService } from './tokens/tokens.service.ts';
import { createWebSessionService } from './web-session/web-session.service.ts';

export interface Onset {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  tokens: TokenService;
  storage: StorageService;
  analysis: AnalysisService;
  changes: ChangesService;
  incidents: IncidentsService;
  app: ReturnType<typeof createApp>;
  /** Listens; returns the bound port and, when a first admin token had to be made, that token. */
  start(): Promise<{ port: number; bootstrapToken?: string }>;
  destroy(): Promise<void>;
}

export interface BuildOverrides {
  logger?: Logger;
  database?: Partial<DatabaseOptions>;
}

/** The composition root: builds every dependency from the config. Tests and the CLI build through here. */
export async function buildOnset(config: Config, overrides: BuildOverrides = {}): Promise<Onset> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const database = await createDatabase(
    { ...config.db, ...overrides.database },
    logger.child({ module: 'db' }),
  );
  let migrated = false;
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) logger.info({ applied }, 'applied migrations');
    migrated = true;
  } catch (err) {
    await database.close();
    throw err;
  }
  const metrics = createMetrics(database);
  const tokens = createTokenService(database.db, config.auth);
  const ingest = createIngestService(database.db, {
    maxConcurrent: database.kind === 'pglite' ? 1 : Math.max(1, config.db.poolSize - 2),
    maxQueued: 256,
  });
  const storage = createStorageService(
    database.db,
    {
      ...defaultStorageOptions,
      retentionMs: config.retentionMs,
      concurrentReindex: database.kind === 'postgres',
    },
    logger.child({ module: 'storage' }),
  );
  const changes = await createChangesService(database.db, config, logger.child({ module: 'changes' })).catch(
    async (err: unknown) => {
      await database.close();
      throw err;
    },
  );
  const analysis = createAnalysisService(database.db, {
    changes,
    confirmedLags: confirmedLagsOf(database.db),
    workers: config.analysis.workers,
  });
  const incidents = createIncidentsService(database.db, { analysis });
  const readiness = {
    pending: () => [...(migrated ? [] : ['database migrations']), ...changes.pending()],
  };
  const app = createApp({
    database,
    logger,
    metrics,
    tokens,
    ingest,
    analysis,
    changes,
    incidents,
    report: createReportService({ incidents, analysis, changes }),
    alertmanager: createAlertmanagerService({ incidents }),
    heatmap: createHeatmapService(database.db),
    webSessions: createWebSessionService(tokens),
    webhookSecret: config.git.webhookSecret,
    readiness,
    maxBodyBytes: config.http.maxBodyBytes,
  });
  let server: Server | undefined;

  return {
    config,
    logger,
    database,
    tokens,
    storage,
    analysis,
    changes,
    incidents,
    app,
    async start() {
      let bootstrapToken: string | undefined;
      if (!(await tokens.anyConfigured())) {
        if (!isLoopback(config.http.host)) {
          throw new ConfigError([
            `no token is configured: refusing to listen on ${config.http.host}. Set ONSET_INGEST_TOKENS and ONSET_READ_TOKENS or run \`onset token create\`.`,
          ]);
        }
        bootstrapToken = (await tokens.create('bootstrap', 'admin')).token;
      }
      server = app.listen(config.http.port, config.http.host);
      await once(server, 'listening');
      server.keepAliveTimeout = 65_000;
      storage.start();
      changes.start();
      const port = (server.address() as AddressInfo).port;
      logger.info({ host: config.http.host, port, database: database.kind }, 'listening');
      return bootstrapToken === undefined ? { port } : { port, bootstrapToken };
    },
    async destroy() {
      if (server) {
        const closed = new Promise<void>((resolve) => server?.close(() => resolve()));
        server.closeIdleConnections();
        // In-flight requests get a few seconds to finish; then their connections are cut.
        const timer = setTimeout(() => server?.closeAllConnections(), 10_000);
        await closed;
        clearTimeout(timer);
      }
      await changes.stop();
      await storage.stop();
      await analysis.close?.();
      await database.close();
      logger.info('stopped');
    },
  };
}
