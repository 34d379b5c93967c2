import express, { Router } from 'express';
import { requireRight } from '../http/auth.ts';
import { AppError } from '../http/errors.ts';
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
    (req, _res, next) => {
      if (!req.is('application/json')) {
        next(new AppError('request.unsupported_media_type', 'Content-Type must be application/json'));
        return;
      }
      next();
    },
    // The limit applies to the inflated body, so a small gzip bomb is refused too.
    express.json({ limit: deps.maxBodyBytes, strict: true, inflate: true }),
    validate('body', ingestBodySchema),
    async (_req, res) => {
      const hosts = res.locals.body as IngestHost[];
      const result = await deps.ingest.ingest(hosts);
      deps.metrics.samplesIngested.inc(result.values);
      res.status(200).json(result);
    },
  );
  return router;
}
