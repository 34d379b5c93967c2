import express, { Router } from 'express';
import { requireRight } from '../http/auth.ts';
import { validate } from '../http/validate.ts';
import type { Principal, TokenService } from '../tokens/tokens.service.ts';
import type { ReportService } from '../report/report.service.ts';
import {
  createIncidentSchema,
  incidentParamsSchema,
  listQuerySchema,
  reanalyzeSchema,
  toIncidentResponse,
  toIncidentSummaryResponse,
  updateIncidentSchema,
  verdictBodySchema,
  verdictParamsSchema,
} from './incidents.schemas.ts';
import type { IncidentsService } from './incidents.service.ts';

type Parsed<S extends { parse: (x: unknown) => unknown }> = ReturnType<S['parse']>;

/**
 * Incidents are written by responders, who hold read tokens (or a web session): `read` allows both
 * reading and writing them. They change no samples and no ranking input except through verdicts.
 */
export function incidentsRoutes(deps: {
  tokens: TokenService;
  incidents: IncidentsService;
  report: ReportService;
}): Router {
  const router = Router();
  const read = requireRight(deps.tokens, 'read');
  const json = express.json({ limit: '1mb', strict: true });
  const id = validate('params', incidentParamsSchema);
  const idOf = (locals: Record<string, unknown>) => (locals.params as Parsed<typeof incidentParamsSchema>).id;

  router.post('/api/v1/incidents', read, json, validate('body', createIncidentSchema), async (_req, res) => {
    const body = res.locals.body as Parsed<typeof createIncidentSchema>;
    const incident = await deps.incidents.create(body);
    res.status(201).location(`/api/v1/incidents/${incident.id}`).json(toIncidentResponse(incident));
  });

  router.get('/api/v1/incidents', read, validate('query', listQuerySchema), async (_req, res) => {
    const { limit } = res.locals.query as Parsed<typeof listQuerySchema>;
    res.json({ incidents: (await deps.incidents.list(limit)).map(toIncidentSummaryResponse) });
  });

  router.get('/api/v1/incidents/:id', read, id, async (_req, res) => {
    res.json(toIncidentResponse(await deps.incidents.get(idOf(res.locals))));
  });

  router.patch(
    '/api/v1/incidents/:id',
    read,
    id,
    json,
    validate('body', updateIncidentSchema),
    async (_req, res) => {
      const patch = res.locals.body as Parsed<typeof updateIncidentSchema>;
      res.json(toIncidentResponse(await deps.incidents.update(idOf(res.locals), patch)));
    },
  );

  router.post(
    '/api/v1/incidents/:id/reanalyze',
    read,
    id,
    json,
    validate('body', reanalyzeSchema),
    async (_req, res) => {
      const window = res.locals.body as Parsed<typeof reanalyzeSchema>;
      res.json(toIncidentResponse(await deps.incidents.reanalyze(idOf(res.locals), window)));
    },
  );

  router.post(
    '/api/v1/incidents/:id/suspects/:sha',
    read,
    validate('params', verdictParamsSchema),
    json,
    validate('body', verdictBodySchema),
    async (_req, res) => {
      const { id: incidentId, sha } = res.locals.params as Parsed<typeof verdictParamsSchema>;
      const { verdict } = res.locals.body as Parsed<typeof verdictBodySchema>;
      const principal = res.locals.principal as Principal;
      const incident = await deps.incidents.judge(incidentId, sha, verdict, principal.tokenId);
      res.json(toIncidentResponse(incident));
    },
  );

  router.get('/api/v1/incidents/:id/report.md', read, id, async (_req, res) => {
    const markdown = await deps.report.markdown(idOf(res.locals));
    res
      .type('text/markdown; charset=utf-8')
      .setHeader('Content-Disposition', `inline; filename="incident-${idOf(res.locals)}.md"`)
      // The report holds untrusted text and SVG: a browser opening it must not run anything in it.
      .setHeader('Content-Security-Policy', "default-src 'none'; sandbox")
      .setHeader('X-Content-Type-Options', 'nosniff')
      .send(markdown);
  });

  return router;
}
