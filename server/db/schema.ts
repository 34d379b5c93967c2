import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

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
}

export interface ApiTokensTable {
  id: string;
  name: string;
  scope: 'ingest' | 'read' | 'admin';
  secret_hash: string;
  created_at: Generated<Date>;
  revoked_at: Date | null;
}

export interface Database {
  hosts: HostsTable;
  series: SeriesTable;
  samples: SamplesTable;
  sample_chunks: SampleChunksTable;
  api_tokens: ApiTokensTable;
}

export type HostRow = Selectable<HostsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
