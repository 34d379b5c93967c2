import { Router } from 'express';
import { requireRight } from '../http/auth.ts';
import { jsonBody } from '../http/json-body.ts';
import { validate } from '../http/validate.ts';
import type { TokenService } from '../tokens/tokens.service.ts';
import { alertmanagerPayloadSchema, type AlertmanagerPayload } from './alertmanager.schemas.ts';
import type { AlertmanagerService } from './alertmanager.service.ts';

/** Alertmanager's webhook receiver; it pushes, like agents, so it takes an ingest token. */
export function alertmanagerRoutes(deps: {
  tokens: TokenService;
  alertmanager: AlertmanagerService;
  maxBodyBytes: number;
}): Router {
  const router = Router();
  router.post(
    '/api/v1/alertmanager',
    requireRight(deps.tokens, 'ingest'),
    // A body that is not JSON stays unparsed and fails validation with a 400.
    jsonBody({ limit: deps.maxBodyBytes, anyType: true }),
    validate('body', alertmanagerPayloadSchema),
    async (_req, res) => {
      const r = await deps.alertmanager.receive(res.locals.body as AlertmanagerPayload);
      res.json({
        status: r.incidentId === null ? 'ignored' : r.created ? 'incident opened' : 'incident updated',
        incident: r.incidentId,
        created: r.created,
        alerts_received: r.received,
        memory_alerts: r.memoryAlerts,
        alerts_added: r.added,
        reanalyzed: r.reanalyzed,
      });
    },
  );
  return router;
}
