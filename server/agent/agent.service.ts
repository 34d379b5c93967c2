import type { Logger } from 'pino';
import type { MetricValues } from './metric-key.ts';
import { backoffDelay, type PostResult } from './sender.ts';
import type { Segment, Spool, SpoolRecord } from './spool.ts';

export interface AgentServiceOptions {
  host: string;
  labels: Record<string, string>;
  intervalMs: number;
  batchMaxSamples: number;
  batchMaxBytes: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long a stopping agent may spend delivering what is spooled. */
  drainTimeoutMs?: number;
  /** Retry-After beyond this is cut short: a confused server must not silence the agent for days. */
  retryAfterMaxMs?: number;
}

export interface AgentServiceDeps {
  options: AgentServiceOptions;
  log: Logger;
  spool: Spool;
  collect: () => Promise<MetricValues>;
  post: (records: SpoolRecord[], signal: AbortSignal) => Promise<PostResult>;
  now?: () => number;
  random?: () => number;
  /** Delivery cannot go on (the spool is unreadable): the caller exits so that a supervisor restarts it. */
  onFatal?: (err: unknown) => void;
}

export interface AgentService {
  start(): void;
  stop(): Promise<void>;
}

class Stopped extends Error {}

/**
 * Samples every interval into the spool, and delivers the spool oldest first. The two loops meet only
 * in the spool: sampling never waits for the server.
 */
export function createAgentService(deps: AgentServiceDeps): AgentService {
  const { options, log, spool } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<void> = Promise.resolve();
  let delivering: Promise<void> = Promise.resolve();
  let wake: (() => void) | undefined;
  let interruptSleep: (() => void) | undefined;
  let draining = false;
  let rejectedSamples = 0;
  let failing: string | undefined;

  async function sample(ts: number): Promise<void> {
    try {
      const values = await deps.collect();
      values['onset_agent_spool_dropped_samples_total'] = spool.stats().droppedSamples;
      values['onset_agent_rejected_samples_total'] = rejectedSamples;
      values['onset_agent_spool_bytes'] = spool.stats().bytes;
      spool.append({ host: options.host, labels: options.labels, ts, values });
      log.debug({ ts: new Date(ts).toISOString(), values: Object.keys(values).length }, 'sample spooled');
      wake?.();
    } catch (err) {
      log.error({ err }, 'sampling failed');
    }
  }

  let lastAt = 0;
  function schedule(): void {
    // At whole multiples of the interval, so hosts sample at the same instants and timestamps are
    // exact; a timer that fires a little early must not sample the same instant twice.
    const next = (Math.floor(now() / options.intervalMs) + 1) * options.intervalMs;
    const at = next === lastAt ? next + options.intervalMs : next;
    lastAt = at;
    timer = setTimeout(
      () => {
        sampling = sample(at);
        schedule();
      },
      Math.max(0, at - now()),
    );
  }

  // A pause between retries; shutdown cuts it short.
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timeout);
        interruptSleep = undefined;
        resolve();
      };
      const timeout = setTimeout(done, ms);
      interruptSleep = done;
    });
  }

  function waitForData(): Promise<void> {
    return new Promise((resolve) => {
      wake = () => {
        wake = undefined;
        resolve();
      };
      if (draining) wake();
    });
  }

  async function deliverLoop(): Promise<void> {
    while (!stopping.signal.aborted) {
      const segment = spool.next();
      if (!segment) {
        if (draining) return;
        await waitForData();
        continue;
      }
      try {
        await deliverSegment(segment);
      } catch (err) {
        if (err instanceof Stopped) return;
        throw err;
      }
    }
  }

  async function deliverSegment(segment: Segment): Promise<void> {
    const { records, tornLines } = spool.read(segment);
    if (tornLines > 0) {
      log.warn(
        { segment: segment.name, tornLines },
        'spool segment holds incomplete lines (written during a crash): skipped',
      );
    }
    for (const batch of splitBatches(records, options.batchMaxSamples, options.batchMaxBytes)) {
      await deliverBatch(batch);
    }
    spool.remove(segment);
  }

  async function deliverBatch(batch: SpoolRecord[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (stopping.signal.aborted) throw new Stopped();
      const result = await deps.post(batch, stopping.signal);
      if (result.kind === 'stored') {
        if (failing !== undefined)
          log.info({ samples: batch.length }, 'server reachable again: sending the spool');
        failing = undefined;
        return;
      }
      if (result.kind === 'rejected') {
        if (result.status === 413 && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          log.warn({ samples: batch.length }, 'batch too large for the server (413): splitting it');
          await deliverBatch(batch.slice(0, half));
          await deliverBatch(batch.slice(half));
          return;
        }
        rejectedSamples += batch.length;
        log.error(
          {
            status: result.status,
            serverError: result.error,
            samples: batch.length,
            from: new Date(batch[0]?.ts ?? 0).toISOString(),
            to: new Date(batch.at(-1)?.ts ?? 0).toISOString(),
          },
          `server rejected a batch with HTTP ${result.status}, not retrying: dropped ${batch.length} samples: ${result.error}`,
        );
        return;
      }
      // Shutting down: what is left stays in the spool for the next start.
      if (draining) throw new Stopped();
      let delay: number;
      let reason: string;
      if (result.kind === 'unauthorized') {
        // Dropping would lose every host's data to one bad token: keep it spooled and try again slowly.
        delay = options.backoffMaxMs;
        reason = `HTTP ${result.status}: check the ingest token: ${result.error}`;
        log.error(
          { status: result.status, serverError: result.error },
          `server refused the token (HTTP ${result.status}): samples stay in the spool`,
        );
      } else {
        const backoff = backoffDelay(attempt, options.backoffBaseMs, options.backoffMaxMs, random);
        delay =
          result.retryAfterMs === undefined
            ? backoff
            : Math.min(result.retryAfterMs, options.retryAfterMaxMs ?? 10 * 60_000);
        reason = result.reason;
      }
      if (failing !== reason) {
        log.warn(
          { reason, retryInMs: delay, spool: spool.stats() },
          'cannot deliver samples: keeping them in the spool and retrying',
        );
        failing = reason;
      } else {
        log.debug({ reason, attempt, retryInMs: delay }, 'retrying');
      }
      await sleep(delay);
    }
  }

  return {
    start() {
      schedule();
      delivering = deliverLoop().catch((err: unknown) => {
        log.fatal({ err }, 'delivery stopped');
        deps.onFatal?.(err);
      });
    },
    async stop() {
      clearTimeout(timer);
      await sampling;
      // Deliver what the server will take right now, without retrying, for a few seconds at most.
      draining = true;
      wake?.();
      interruptSleep?.();
      const deadline = setTimeout(() => stopping.abort(), options.drainTimeoutMs ?? 5000);
      await delivering;
      clearTimeout(deadline);
      stopping.abort();
      spool.close();
    },
  };
}

/** Batches of at most `maxSamples` samples and about `maxBytes` of JSON; a sample larger than that goes alone. */
export function splitBatches(records: SpoolRecord[], maxSamples: number, maxBytes: number): SpoolRecord[][] {
  const batches: SpoolRecord[][] = [];
  let batch: SpoolRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = JSON.stringify(record.values).length + 100;
    if (batch.length > 0 && (batch.length >= maxSamples || bytes + size > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(record);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
