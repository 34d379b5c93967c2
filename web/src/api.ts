import type { AnalysisResponse } from '../../server/analysis/analysis.schemas.ts';
import type { HeatmapResponse } from '../../server/analysis/heatmap.schemas.ts';
import type { IncidentResponse, IncidentSummaryResponse } from '../../server/incidents/incidents.schemas.ts';
import type { SessionResponse } from '../../server/web-session/web-session.schemas.ts';

export type { AnalysisResponse, HeatmapResponse, IncidentResponse, IncidentSummaryResponse, SessionResponse };

export type IncidentStatus = IncidentResponse['status'];
export type Verdict = IncidentResponse['verdicts'][number]['verdict'];

/** `GET /api/v1/hosts` (shaped in server/series/series.routes.ts). */
export interface HostsResponse {
  hosts: {
    name: string;
    labels: Record<string, string>;
    first_sample: string;
    last_sample: string;
    series: number;
  }[];
}

/** `GET /api/v1/series` (shaped in server/series/series.routes.ts). */
export interface SeriesResponse {
  host: string;
  from: string;
  to: string;
  step_seconds: number;
  series: { series: string; metric: string; labels: Record<string, string>; points: [number, number][] }[];
}

/** `GET /api/v1/changes/:sha` for a commit (shaped in server/changes/changes.routes.ts). */
export interface ChangeDetail {
  type: 'commit' | 'event';
  sha?: string;
  author?: string;
  subject?: string;
  title?: string;
  body?: string;
  landed_at: string;
  files?: { path: string; additions: number | null; deletions: number | null }[];
  patch?: string;
  patch_truncated?: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Every call carries the CSRF header the server asks of cookie-authenticated writes; the session cookie
 * itself is HttpOnly and travels on its own.
 */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  headers.set('X-Onset-CSRF', '1');
  if (init.body !== undefined) headers.set('Content-Type', 'application/json');
  const res = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? 'unknown', error?.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}

export const query = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(
    Object.entries(params).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])),
  ).toString();
