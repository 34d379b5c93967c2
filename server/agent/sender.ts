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
  /** Base URL of the onset server, e.g. `https://onset.example.net` (a path prefix is kept). */
  server: string;
  token: string | undefined;
  timeoutMs: number;
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
    'content-length': String(body.length),
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let response: { status: number; retryAfter: string | undefined; text: string };
  try {
    response = await request(new URL('api/v1/samples', withSlash(options.server)), {
      headers,
      body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    return { kind: 'retry', reason: timeout.aborted ? 'request timed out' : describeNetworkError(err) };
  }
  const { status, text } = response;
  if (status >= 200 && status < 300) return { kind: 'stored' };
  const retryAfterMs = parseRetryAfter(response.retryAfter ?? null, (options.now ?? Date.now)());
  if (status === 429 || status >= 500) {
    const reason = `HTTP ${status}${text ? `: ${summarize(text)}` : ''}`;
    return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
  }
  if (status === 401 || status === 403) return { kind: 'unauthorized', status, error: summarize(text) };
  return { kind: 'rejected', status, error: summarize(text) };
}

/**
 * One POST with node:http(s). Not `fetch`: undici alone would add some 12 MiB to the agent's resident
 * memory, a quarter of its budget. https is loaded only for an https server.
 */
async function request(
  url: URL,
  init: { headers: Record<string, string>; body: Buffer; signal: AbortSignal },
): Promise<{ status: number; retryAfter: string | undefined; text: string }> {
  const { request: send } =
    url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers: init.headers, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        // Only the start of an error body is worth logging.
        if (length < 64 * 1024) chunks.push(chunk);
        length += chunk.length;
      });
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

function withSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
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
  const error = err as NodeJS.ErrnoException;
  return error.code && !error.message.includes(error.code)
    ? `${error.message} (${error.code})`
    : error.message;
}
