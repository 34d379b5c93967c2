import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE hosts (
      id serial PRIMARY KEY,
      name text NOT NULL UNIQUE,
      labels jsonb NOT NULL DEFAULT '{}',
      first_ts timestamptz NOT NULL,
      last_ts timestamptz NOT NULL
    )`.execute(db);
  await sql`
    CREATE TABLE series (
      id serial PRIMARY KEY,
      host_id integer NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
      key text NOT NULL,
      metric text NOT NULL,
      labels jsonb NOT NULL DEFAULT '{}',
      UNIQUE (host_id, key)
    )`.execute(db);
  await sql`CREATE INDEX series_metric_idx ON series (metric)`.execute(db);
  // Recent samples land here one row each; compaction folds them into hourly chunks.
  await sql`
    CREATE TABLE samples (
      series_id integer NOT NULL,
      ts timestamptz NOT NULL,
      value double precision NOT NULL,
      PRIMARY KEY (series_id, ts)
    )`.execute(db);
  // One row per series and hour, offsets in seconds from the hour: about 12 bytes a value at
  // one-minute samples, against about 80 as rows with their index.
  await sql`
    CREATE TABLE sample_chunks (
      series_id integer NOT NULL,
      start timestamptz NOT NULL,
      offsets smallint[] NOT NULL,
      vals double precision[] NOT NULL,
      means bytea NOT NULL,
      PRIMARY KEY (series_id, start)
    )`.execute(db);
  await sql`
    CREATE TABLE api_tokens (
      id text PRIMARY KEY,
      name text NOT NULL,
      scope text NOT NULL CHECK (scope IN ('ingest', 'read', 'admin')),
      secret_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    )`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['api_tokens', 'sample_chunks', 'samples', 'series', 'hosts']) {
    await db.schema.dropTable(table).execute();
  }
}
