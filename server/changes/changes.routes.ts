import express, { Router } from 'express';
import { requireRight } from '../http/auth.ts';
import { AppError } from '../http/errors.ts';
import { jsonBody } from '../http/json-body.ts';
import { formatTime, formatTimeOrNull } from '../http/params.ts';
import { validate } from '../http/validate.ts';
import type { Reach } from './salt/reach.ts';
import type { TokenService } from '../tokens/tokens.service.ts';
import {
  changeEventBodySchema,
  changeParamsSchema,
  changesQuerySchema,
  type ChangeEventInput,
} from './changes.schemas.ts';
import type { ChangeCommit, ChangeEvent, ChangesService, SyncResult, SyncState } from './changes.service.ts';
import { revertedSha } from './changes.service.ts';
import { verifyWebhook } from './changes.webhooks.ts';

function commitJson(c: ChangeCommit, withFiles: boolean) {
  const revertOf = revertedSha(c.body);
  return {
    sha: c.sha,
    parents: c.parents,
    author: c.author,
    author_email: c.authorEmail,
    authored_at: formatTime(c.authoredAt),
    committed_at: formatTime(c.committedAt),
    landed_at: formatTime(c.landedAt),
    subject: c.subject,
    ...(withFiles ? { body: c.body } : {}),
    merge: c.merge,
    ...(c.merge ? { merged_commits: c.mergedShas } : {}),
    ...(revertOf === undefined ? {} : { revert_of: revertOf }),
    stats: {
      files: c.files.length,
      additions: c.files.reduce((n, f) => n + (f.additions ?? 0), 0),
      deletions: c.files.reduce((n, f) => n + (f.deletions ?? 0), 0),
    },
    ...(withFiles ? { files: c.files } : {}),
  };
}

function eventJson(e: ChangeEvent) {
  return {
    id: e.id,
    kind: e.kind,
    title: e.title,
    description: e.description,
    source: e.source,
    author: e.author,
    landed_at: formatTime(e.landedAt),
    target: e.targetExpression,
    hosts: e.hosts.map((h) => ({ host: h.host, applied_at: formatTimeOrNull(h.appliedAt) })),
    created_at: formatTime(e.createdAt),
  };
}

function reachJson(reach: Reach, hostsTotal: number) {
  return {
    hosts: [...reach.hosts].sort(),
    hosts_total: hostsTotal,
    approximate: reach.approximate,
    reasons: reach.reasons,
  };
}

function stateJson(state: SyncState | undefined) {
  if (state === undefined) return null;
  return {
    source: state.source,
    branch: state.branch,
    head: state.head,
    synced_at: formatTimeOrNull(state.syncedAt),
    last_error: state.lastError,
    last_error_at: formatTimeOrNull(state.lastErrorAt),
  };
}

function syncJson(r: SyncResult) {
  return {
    branch: r.branch,
    head: r.head,
    previous_head: r.previousHead,
    added: r.added,
    replaced: r.replaced,
    synced_at: formatTime(r.syncedAt),
  };
}

export function changesRoutes(deps: {
  tokens: TokenService;
  changes: ChangesService;
  webhookSecret: string | undefined;
  maxBodyBytes: number;
}): Router {
  const router = Router();
  const read = requireRight(deps.tokens, 'read');
  const ingest = requireRight(deps.tokens, 'ingest');

  // CI and webhooks push changes, so a sync is asked for with the same right as samples.
  router.post('/api/v1/changes/sync', ingest, async (_req, res) => {
    res.json(syncJson(await deps.changes.sync()));
  });

  // Authenticated by the shared secret, not a bearer token: forges cannot send one.
  router.post(
    '/api/v1/changes/webhook',
    (_req, _res, next) => {
      if (deps.webhookSecret === undefined) {
        next(new AppError('not_found', 'webhooks are off: set ONSET_WEBHOOK_SECRET'));
        return;
      }
      if (!deps.changes.enabled) {
        next(new AppError('not_found', 'no repository is configured: set ONSET_GIT_REPO'));
        return;
      }
      next();
    },
    express.raw({ type: () => true, limit: deps.maxBodyBytes }),
    (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const delivery = verifyWebhook(req.headers, body, deps.webhookSecret as string);
      if (!delivery.push) {
        res.status(200).json({ status: 'ignored', provider: delivery.provider, event: delivery.event });
        return;
      }
      deps.changes.requestSync(`${delivery.provider} push`);
      res.status(202).json({ status: 'sync requested', provider: delivery.provider });
    },
  );

  router.post(
    '/api/v1/changes',
    ingest,
    jsonBody({ limit: deps.maxBodyBytes }),
    validate('body', changeEventBodySchema),
    async (_req, res) => {
      const input = res.locals.body as ChangeEventInput;
      const { event, created } = await deps.changes.recordEvent(input);
      res.status(created ? 201 : 200).json(eventJson(event));
    },
  );

  router.get('/api/v1/changes', read, validate('query', changesQuerySchema), async (_req, res) => {
    const q = res.locals.query as ReturnType<typeof changesQuerySchema.parse>;
    const [list, state] = await Promise.all([deps.changes.list(q), deps.changes.state()]);
    res.json({
      from: formatTime(q.from),
      to: formatTime(q.to),
      repository: deps.changes.enabled ? stateJson(state) : null,
      commits: list.commits.map((c) => commitJson(c, false)),
      events: list.events.map(eventJson),
      truncated: list.truncated,
    });
  });

  router.get('/api/v1/changes/:id', read, validate('params', changeParamsSchema), async (_req, res) => {
    const { id } = res.locals.params as ReturnType<typeof changeParamsSchema.parse>;
    const detail = await deps.changes.detail(id);
    if (detail.kind === 'commit') {
      res.json({
        type: 'commit',
        ...commitJson(detail.commit, true),
        patch: detail.patch.patch,
        patch_truncated: detail.patch.truncated,
        reach: reachJson(detail.reach, detail.hostsTotal),
      });
      return;
    }
    res.json({
      type: 'event',
      ...eventJson(detail.event),
      reach: reachJson(detail.reach, detail.hostsTotal),
    });
  });

  return router;
}
