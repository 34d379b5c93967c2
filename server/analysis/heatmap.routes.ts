import { Router } from 'express';
import { requireRight } from '../http/auth.ts';
import { validate } from '../http/validate.ts';
import type { TokenService } from '../tokens/tokens.service.ts';
import { heatmapQuerySchema, toHeatmapResponse, type HeatmapQuery } from './heatmap.schemas.ts';
import type { HeatmapService } from './heatmap.service.ts';

export function heatmapRoutes(deps: { tokens: TokenService; heatmap: HeatmapService }): Router {
  const router = Router();
  router.get(
    '/api/v1/analysis/heatmap',
    requireRight(deps.tokens, 'read'),
    validate('query', heatmapQuerySchema),
    async (_req, res) => {
      const q = res.locals.query as HeatmapQuery;
      res.json(toHeatmapResponse(await deps.heatmap.heatmap(q, q.step), q.metric));
    },
  );
  return router;
}
