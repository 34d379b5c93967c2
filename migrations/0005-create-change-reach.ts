import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The hosts (and their labels) a reach was computed for; `key` is a hash of them and the nodegroups.
  await sql`
    CREATE TABLE change_reach_host_sets (
      key text PRIMARY KEY,
      hosts jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // Each commit's reach, computed once; `all_hosts` stands for every host of the set (hosts is then empty).
  await sql`
    CREATE TABLE change_commit_reach (
      sha text PRIMARY KEY REFERENCES change_commits (sha) ON DELETE CASCADE,
      host_set text NOT NULL REFERENCES change_reach_host_sets (key),
      all_hosts boolean NOT NULL,
      hosts text[] NOT NULL,
      approximate boolean NOT NULL,
      reasons text[] NOT NULL,
      computed_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX change_commit_reach_host_set_idx ON change_commit_reach (host_set)`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('change_commit_reach').execute();
  await db.schema.dropTable('change_reach_host_sets').execute();
}
