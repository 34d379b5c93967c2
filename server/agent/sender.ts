import { gzipSync } from 'node:zlib';
import type { SpoolRecord } from './spool.ts';

/** What became of one request. */
export type PostResult =
  | { kind: 'stored' }
  /** Worth trying again later: a network error, 5xx or 429. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** The token is missing, wrong or lacks the right: the batch is fine, the agent's setup is not. */
  | { kind: 'unauthorized'; status: number; error: string }
  /** The server will never take this batch as it is (400, 413, other 4xx). */
  | { kind: 'rejected'; status: number; error: string };

export interface SenderOptions {
  /** Base URL of the onset server, e.g. `https://onset.example.net`. */
  server: string;
  token: string | undefined;
  timeoutMs: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The contract's request body: samples grouped by host, in the order they were taken. */
export function buildBody(records: SpoolRecord[]): { hosts: unknown[] } {
  const hosts: {
    host: string;
    labels: Record<string, string>;
    samples: { ts: number; values: unknown }[];
  }[] = [];
  let current: (typeof hosts)[number] | undefined;
  let currentKey = '';
  for (const record of records) {
    const key = JSON.stringify([record.host, record.labels]);
    if (!current || key !== currentKey) {
      current = { host: record.host, labels: record.labels, samples: [] };
      currentKey = key;
      hosts.push(current);
    }
    current.samples.push({ ts: record.ts, values: record.values });
  }
  return { hosts };
}

/** Posts one batch to `POST /api/v1/samples`, gzip-compressed, and classifies the answer. */
export async function postSamples(
  records: SpoolRecord[],
  options: SenderOptions,
  signal?: AbortSignal,
): Promise<PostResult> {
  const body = gzipSync(JSON.stringify(buildBody(records)));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(new URL('/api/v1/samples', options.server), {
      method: 'POST',
      headers,
      body,
      signal: signal
        ? AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)])
        : AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    return { kind: 'retry', reason: describeNetworkError(err) };
  }
  const text = await response.text().catch(() => '');
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'stored' };
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), (options.now ?? Date.now)());
  if (status === 429 || status >= 500) {
    const reason = `HTTP ${status}${text ? `: ${summarize(text)}` : ''}`;
    return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
  }
  if (status === 401 || status === 403) return { kind: 'unauthorized', status, error: summarize(text) };
  return { kind: 'rejected', status, error: summarize(text) };
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base × 2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30)));
}

/** The server's error as one line: the JSON error's code, message and the fields it names. */
function summarize(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (parsed.error !== undefined) return JSON.stringify(parsed.error).slice(0, 2000);
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 2000);
}

function describeNetworkError(err: unknown): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError') return 'request timed out';
  const cause = error.cause?.code ?? error.cause?.message;
  return cause ? `${error.message} (${cause})` : error.message;
}
