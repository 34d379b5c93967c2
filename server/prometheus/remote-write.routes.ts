import type { Request } from 'express';
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { requireRight } from '../http/auth.ts';
import { AppError } from '../http/errors.ts';
import { formatPath } from '../http/validate.ts';
import { ingestBodySchema, ingestLimits } from '../ingest/ingest.schemas.ts';
import type { ingestRoutes } from '../ingest/ingest.routes.ts';
import { decodeWriteRequest, decompressSnappy, RemoteWriteDecodeError } from './remote-write.decode.ts';
import { describeIngestPath, mapWriteRequest } from './remote-write.mapping.ts';
import { createRemoteWriteMetrics } from './remote-write.metrics.ts';

export const remoteWritePath = '/api/v1/prometheus/write';

/** Remote-write 1.0 only: a 2.0 sender that gets 415 falls back to 1.0. */
const checkHeaders: RequestHandler = (req, _res, next) => {
  const type = req.headers['content-type'] ?? '';
  const [media, ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  const proto = params.find((p) => p.startsWith('proto='))?.slice('proto='.length);
  if (media !== 'application/x-protobuf' || (proto !== undefined && proto !== 'prometheus.writerequest')) {
    next(
      new AppError(
        'request.unsupported_media_type',
        'Content-Type must be application/x-protobuf (Prometheus remote-write 1.0)',
      ),
    );
    return;
  }
  if ((req.headers['content-encoding'] ?? '').trim().toLowerCase() !== 'snappy') {
    next(new AppError('request.unsupported_encoding', 'Content-Encoding must be snappy'));
    return;
  }
  next();
};

const tooLarge = () => new AppError('request.too_large', 'the body is larger than the server accepts');

/** The raw body, refused past `limit` bytes (body-parser would refuse the snappy encoding). */
function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        // The rest is read and dropped, so the 413 still reaches the sender.
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = () => {
      stop();
      reject(new AppError('request.invalid', 'the body could not be read'));
    };
    const onClose = () => {
      stop();
      reject(new AppError('request.invalid', 'the request was aborted'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Takes what `POST /api/v1/samples` takes: it stores through the same service and limits. */
export function remoteWriteRoutes(deps: Parameters<typeof ingestRoutes>[0]): Router {
  const router = Router();
  const counters = createRemoteWriteMetrics(deps.metrics.registry);

  router.post(remoteWritePath, requireRight(deps.tokens, 'ingest'), checkHeaders, async (req, res) => {
    const body = await readBody(req, deps.maxBodyBytes);
    let series;
    try {
      series = decodeWriteRequest(decompressSnappy(body, deps.maxBodyBytes), {
        maxSeries: ingestLimits.values,
        maxSamples: ingestLimits.values,
      });
    } catch (err) {
      if (!(err instanceof RemoteWriteDecodeError)) throw err;
      throw err.tooLarge
        ? new AppError('request.too_large', err.message)
        : new AppError('request.invalid', err.message);
    }

    const mapped = mapWriteRequest(series);
    if (mapped.problems.length > 0) {
      throw new AppError('request.invalid', 'some series cannot be stored', mapped.problems);
    }
    let result = { hosts: 0, values: 0, stored: 0 };
    if (mapped.body.hosts.length > 0) {
      // The checks of POST /api/v1/samples, as they are: host names, labels, times, limits.
      const parsed = ingestBodySchema.safeParse(mapped.body);
      if (!parsed.success) {
        throw new AppError(
          'request.invalid',
          'invalid remote-write request',
          parsed.error.issues.slice(0, 50).map((issue) => ({
            path: describeIngestPath(mapped, formatPath(issue.path), issue.path),
            message: issue.message,
          })),
        );
      }
      try {
        result = await deps.ingest.ingest(parsed.data);
      } catch (err) {
        // Prometheus drops a batch on 429 unless told otherwise, but retries a 5xx.
        if (err instanceof AppError && err.code === 'service.busy') {
          throw new AppError('service.unavailable', err.message, [], err.retryAfterSeconds);
        }
        throw err;
      }
    }
    counters.series.inc({ outcome: 'accepted' }, mapped.series.accepted);
    counters.series.inc({ outcome: 'ignored' }, mapped.series.ignored);
    counters.samples.inc({ outcome: 'accepted' }, mapped.samples.accepted);
    counters.samples.inc({ outcome: 'ignored' }, mapped.samples.ignored);
    counters.samples.inc({ outcome: 'skipped' }, mapped.samples.skipped);
    res.status(200).json({
      ...result,
      ignored_series: mapped.series.ignored,
      skipped_samples: mapped.samples.skipped,
    });
  });

  router.use(remoteWritePath, ((err, _req, _res, next) => {
    counters.rejected.inc({ code: err instanceof AppError ? err.code : 'other' });
    next(err);
  }) satisfies ErrorRequestHandler);
  return router;
}
