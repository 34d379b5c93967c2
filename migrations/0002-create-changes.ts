import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The deployed branch's first-parent chain; `position` 0 is its root.
  await sql`
    CREATE TABLE change_commits (
      sha text PRIMARY KEY,
      position integer NOT NULL UNIQUE,
      parents text[] NOT NULL,
      author text NOT NULL,
      author_email text NOT NULL,
      authored_at timestamptz NOT NULL,
      committed_at timestamptz NOT NULL,
      landed_at timestamptz NOT NULL,
      subject text NOT NULL,
      body text NOT NULL,
      files jsonb NOT NULL,
      merge boolean NOT NULL,
      merged_shas text[] NOT NULL DEFAULT '{}'
    )`.execute(db);
  await sql`CREATE INDEX change_commits_landed_at_idx ON change_commits (landed_at)`.execute(db);
  // One row: what was last read from which source.
  await sql`
    CREATE TABLE change_sync_state (
      id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
      source text NOT NULL,
      branch text,
      head text,
      synced_at timestamptz,
      last_error text,
      last_error_at timestamptz
    )`.execute(db);
  await sql`
    CREATE TABLE change_events (
      id text PRIMARY KEY,
      kind text NOT NULL,
      title text NOT NULL,
      description text,
      source text,
      author text,
      landed_at timestamptz NOT NULL,
      target_expression text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX change_events_landed_at_idx ON change_events (landed_at)`.execute(db);
  // The hosts an event names; `applied_at` when the caller said when each host applied it.
  await sql`
    CREATE TABLE change_event_hosts (
      event_id text NOT NULL REFERENCES change_events (id) ON DELETE CASCADE,
      host text NOT NULL,
      applied_at timestamptz,
      PRIMARY KEY (event_id, host)
    )`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['change_event_hosts', 'change_events', 'change_sync_state', 'change_commits']) {
    await db.schema.dropTable(table).execute();
  }
}
