import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DatabaseHandle } from '../db/database.ts';

export interface Metrics {
  registry: Registry;
  samplesIngested: Counter;
  ingestRejected: Counter<'code'>;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
}

/** A registry per app, so tests and several servers in one process never share counters. */
export function createMetrics(database: Pick<DatabaseHandle, 'pool'>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const pool = database.pool;
  if (pool) {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    gauge('onset_db_pool_connections', 'Connections open in the database pool.', pool.total);
    gauge('onset_db_pool_idle_connections', 'Idle connections in the database pool.', pool.idle);
    gauge('onset_db_pool_waiting_requests', 'Queries waiting for a database connection.', pool.waiting);
  }
  return {
    registry,
    samplesIngested: new Counter({
      name: 'onset_samples_ingested_total',
      help: 'Sample values accepted by POST /api/v1/samples (duplicates included).',
      registers: [registry],
    }),
    ingestRejected: new Counter({
      name: 'onset_ingest_rejected_requests_total',
      help: 'Ingest requests answered with an error, by error code.',
      labelNames: ['code'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'onset_http_request_duration_seconds',
      help: 'HTTP request durations.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export function timeRequests(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.requestDuration.startTimer();
    res.on('finish', () => {
      // The matched route pattern keeps label cardinality bounded; unmatched paths share one label.
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: req.method, route: `${req.baseUrl}${route}`, status: String(res.statusCode) });
    });
    next();
  };
}
