import { Router } from 'express';
import type { Db } from '../db/database.ts';
import { requireRight } from '../http/auth.ts';
import { AppError } from '../http/errors.ts';
import { validate } from '../http/validate.ts';
import type { TokenService } from '../tokens/tokens.service.ts';
import * as repo from './series.repository.ts';
import { seriesQuerySchema } from './series.schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function seriesRoutes(deps: { db: Db; tokens: TokenService }): Router {
  const router = Router();
  const read = requireRight(deps.tokens, 'read');

  router.get('/api/v1/hosts', read, async (_req, res) => {
    const hosts = await repo.listHosts(deps.db);
    res.json({
      hosts: hosts.map((h) => ({
        name: h.name,
        labels: h.labels,
        first_sample: h.first_ts.toISOString(),
        last_sample: h.last_ts.toISOString(),
        series: h.series,
      })),
    });
  });

  router.get('/api/v1/series', read, validate('query', seriesQuerySchema), async (_req, res) => {
    const q = res.locals.query as ReturnType<typeof seriesQuerySchema.parse>;
    const series = await repo.readHostSeries(
      deps.db,
      q.host,
      q.selectors,
      new Date(q.from),
      new Date(q.to),
      q.step,
    );
    if (series.length === 0 && !(await repo.hostExists(deps.db, q.host))) {
      throw new AppError('not_found', `no host named '${q.host}'`);
    }
    res.json({
      host: q.host,
      from: iso(q.from),
      to: iso(q.to),
      step_seconds: q.step / 1000,
      series: series.map((s) => ({
        series: s.key,
        metric: s.metric,
        labels: s.labels,
        // [epoch milliseconds of the step's start, average over the step]
        points: s.ts.map((t, i) => [t, s.values[i]]),
      })),
    });
  });
  return router;
}
