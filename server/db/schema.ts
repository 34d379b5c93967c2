import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;

export interface HostsTable {
  id: Generated<number>;
  name: string;
  labels: ColumnType<Record<string, string>, string, string>;
  first_ts: Timestamp;
  last_ts: Timestamp;
}

export interface SeriesTable {
  id: Generated<number>;
  host_id: number;
  key: string;
  metric: string;
  labels: ColumnType<Record<string, string>, string, string>;
}

/** Recent samples, one row each; compaction moves them into `sample_chunks`. */
export interface SamplesTable {
  series_id: number;
  ts: Timestamp;
  value: number;
}

/** One hour of one series: offsets in seconds from `start`, and the values, in time order. */
export interface SampleChunksTable {
  series_id: number;
  start: Timestamp;
  offsets: number[];
  vals: number[];
  /** Means of the hour's 5-minute slots, big-endian float4, NaN where empty. */
  means: Buffer;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  scope: 'ingest' | 'read' | 'admin';
  secret_hash: string;
  created_at: Generated<Date>;
  revoked_at: Date | null;
}

/** A commit of the deployed branch's first-parent chain; `position` 0 is the root. */
export interface ChangeCommitsTable {
  sha: string;
  position: number;
  parents: string[];
  author: string;
  author_email: string;
  authored_at: Timestamp;
  committed_at: Timestamp;
  landed_at: Timestamp;
  subject: string;
  body: string;
  files: ColumnType<StoredFileChange[], string, string>;
  merge: boolean;
  merged_shas: string[];
}

export interface StoredFileChange {
  path: string;
  status: string;
  additions: number | null;
  deletions: number | null;
  old_path?: string;
}

export interface ChangeSyncStateTable {
  id: Generated<number>;
  source: string;
  branch: string | null;
  head: string | null;
  synced_at: NullableTimestamp;
  last_error: string | null;
  last_error_at: NullableTimestamp;
}

export interface ChangeEventsTable {
  id: string;
  kind: string;
  title: string;
  description: string | null;
  source: string | null;
  author: string | null;
  landed_at: Timestamp;
  target_expression: string | null;
  created_at: Generated<Date>;
}

export interface ChangeEventHostsTable {
  event_id: string;
  host: string;
  applied_at: NullableTimestamp;
}

/** A saved analysis with its responders' title, status and notes. */
export interface IncidentsTable {
  id: Generated<number>;
  title: string;
  status: 'open' | 'mitigated' | 'resolved';
  notes: Generated<string>;
  source: 'manual' | 'alertmanager';
  window_from: Timestamp;
  window_to: Timestamp;
  /** The analysis API answer, as it was when saved. */
  analysis: ColumnType<unknown, string, string>;
  analyzed_at: Timestamp;
  first_alert_at: NullableTimestamp;
  last_alert_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface IncidentVerdictsTable {
  incident_id: number;
  change_id: string;
  verdict: 'confirmed' | 'rejected';
  landed_at: Timestamp;
  onset_at: Timestamp;
  decided_by: string;
  decided_at: Generated<Date>;
}

export interface IncidentAlertsTable {
  incident_id: number;
  fingerprint: string;
  starts_at: Timestamp;
  ends_at: NullableTimestamp;
  status: string;
  alertname: string;
  host: string | null;
  labels: ColumnType<Record<string, string>, string, string>;
  annotations: ColumnType<Record<string, string>, string, string>;
  received_at: Generated<Date>;
}

/** The hosts, with their labels, a stored reach was computed for. */
export interface ChangeReachHostSetsTable {
  key: string;
  hosts: ColumnType<[string, Record<string, string>][], string, string>;
  created_at: Generated<Date>;
}

/** A commit's reach over one host set; `all_hosts` stands for every host of the set. */
export interface ChangeCommitReachTable {
  sha: string;
  host_set: string;
  all_hosts: boolean;
  hosts: string[];
  approximate: boolean;
  reasons: string[];
  computed_at: Generated<Date>;
}

export interface Database {
  hosts: HostsTable;
  series: SeriesTable;
  samples: SamplesTable;
  sample_chunks: SampleChunksTable;
  api_tokens: ApiTokensTable;
  change_commits: ChangeCommitsTable;
  change_sync_state: ChangeSyncStateTable;
  change_events: ChangeEventsTable;
  change_event_hosts: ChangeEventHostsTable;
  change_reach_host_sets: ChangeReachHostSetsTable;
  change_commit_reach: ChangeCommitReachTable;
  incidents: IncidentsTable;
  incident_verdicts: IncidentVerdictsTable;
  incident_alerts: IncidentAlertsTable;
}

export type HostRow = Selectable<HostsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
