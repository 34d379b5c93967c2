import { Router, type ErrorRequestHandler } from 'express';
import { requireRight } from '../http/auth.ts';
import { AppError } from '../http/errors.ts';
import { jsonBody } from '../http/json-body.ts';
import { validate } from '../http/validate.ts';
import type { Metrics } from '../http/metrics.ts';
import type { TokenService } from '../tokens/tokens.service.ts';
import { ingestBodySchema, type IngestHost } from './ingest.schemas.ts';
import type { IngestService } from './ingest.service.ts';

export function ingestRoutes(deps: {
  tokens: TokenService;
  ingest: IngestService;
  metrics: Metrics;
  maxBodyBytes: number;
}): Router {
  const router = Router();
  router.post(
    '/api/v1/samples',
    requireRight(deps.tokens, 'ingest'),
    jsonBody({ limit: deps.maxBodyBytes }),
    validate('body', ingestBodySchema),
    async (_req, res) => {
      const hosts = res.locals.body as IngestHost[];
      const result = await deps.ingest.ingest(hosts);
      deps.metrics.samplesIngested.inc(result.values);
      res.status(200).json(result);
    },
  );
  // Refused requests, from the token check to storing, by error code ('other' when not an AppError).
  router.use('/api/v1/samples', ((err, _req, _res, next) => {
    if (err instanceof Error) {
      deps.metrics.ingestRejected.inc({ code: err instanceof AppError ? err.code : 'other' });
    }
    next(err);
  }) satisfies ErrorRequestHandler);
  return router;
}
