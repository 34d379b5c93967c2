import { Router } from 'express';
import { requireRight } from '../http/auth.ts';
import { validate } from '../http/validate.ts';
import { windowSchema } from '../http/params.ts';
import type { TokenService } from '../tokens/tokens.service.ts';
import { toAnalysisResponse } from './analysis.schemas.ts';
import type { AnalysisService } from './analysis.service.ts';

export function analysisRoutes(deps: { tokens: TokenService; analysis: AnalysisService }): Router {
  const router = Router();
  router.get(
    '/api/v1/analysis',
    requireRight(deps.tokens, 'read'),
    validate('query', windowSchema),
    async (_req, res) => {
      const window = res.locals.query as { from: number; to: number };
      res.json(toAnalysisResponse(await deps.analysis.analyze(window)));
    },
  );
  return router;
}
