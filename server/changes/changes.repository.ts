import { sql, type Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ChangeCommitsTable, ChangeEventsTable, StoredFileChange } from '../db/schema.ts';

export type { StoredFileChange } from '../db/schema.ts';

export interface CommitRow {
  sha: string;
  position: number;
  parents: string[];
  author: string;
  authorEmail: string;
  authoredAt: number;
  committedAt: number;
  landedAt: number;
  subject: string;
  body: string;
  files: StoredFileChange[];
  merge: boolean;
  mergedShas: string[];
}

export interface SyncStateRow {
  source: string;
  branch: string | null;
  head: string | null;
  syncedAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
}

export interface EventHostRow {
  host: string;
  appliedAt: number | null;
}

export interface EventRow {
  id: string;
  kind: string;
  title: string;
  description: string | null;
  source: string | null;
  author: string | null;
  landedAt: number;
  targetExpression: string | null;
  createdAt: number;
  hosts: EventHostRow[];
}

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());
const commitColumns = [
  'sha',
  'position',
  'parents',
  'author',
  'author_email',
  'authored_at',
  'committed_at',
  'landed_at',
  'subject',
  'body',
  'files',
  'merge',
  'merged_shas',
] as const;

type CommitSelect = Selectable<ChangeCommitsTable>;

function toCommit(r: CommitSelect): CommitRow {
  return {
    sha: r.sha,
    position: r.position,
    parents: r.parents,
    author: r.author,
    authorEmail: r.author_email,
    authoredAt: r.authored_at.getTime(),
    committedAt: r.committed_at.getTime(),
    landedAt: r.landed_at.getTime(),
    subject: r.subject,
    body: r.body,
    files: r.files,
    merge: r.merge,
    mergedShas: r.merged_shas,
  };
}

export async function readSyncState(db: Db): Promise<SyncStateRow | undefined> {
  const r = await db.selectFrom('change_sync_state').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!r) return undefined;
  return {
    source: r.source,
    branch: r.branch,
    head: r.head,
    syncedAt: ms(r.synced_at),
    lastError: r.last_error,
    lastErrorAt: ms(r.last_error_at),
  };
}

/** A successful sync: the head read, and no error since. */
export async function recordSynced(
  db: Db,
  state: { source: string; branch: string; head: string; at: number },
): Promise<void> {
  const values = {
    source: state.source,
    branch: state.branch,
    head: state.head,
    synced_at: new Date(state.at),
    last_error: null,
    last_error_at: null,
  };
  await db
    .insertInto('change_sync_state')
    .values({ id: 1, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

/** A failed sync: the stored head stays, the error is kept beside it. */
export async function recordSyncError(
  db: Db,
  state: { source: string; error: string; at: number },
): Promise<void> {
  const values = { last_error: state.error, last_error_at: new Date(state.at) };
  await db
    .insertInto('change_sync_state')
    .values({ id: 1, source: state.source, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

export async function countCommits(db: Db): Promise<number> {
  const r = await db
    .selectFrom('change_commits')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function deleteAllCommits(db: Db): Promise<void> {
  await db.deleteFrom('change_commits').execute();
}

/** Appends commits after the stored chain; positions continue from the highest one stored. */
export async function appendCommits(db: Db, commits: Omit<CommitRow, 'position'>[]): Promise<void> {
  if (commits.length === 0) return;
  const top = await db
    .selectFrom('change_commits')
    .select((eb) => eb.fn.max('position').as('p'))
    .executeTakeFirst();
  const start = top?.p === null || top?.p === undefined ? 0 : Number(top.p) + 1;
  // 13 parameters a row: 1,000 rows stay far below PostgreSQL's 65,535.
  for (let i = 0; i < commits.length; i += 1000) {
    const rows = commits.slice(i, i + 1000).map((c, j) => ({
      sha: c.sha,
      position: start + i + j,
      parents: c.parents,
      author: c.author,
      author_email: c.authorEmail,
      authored_at: new Date(c.authoredAt),
      committed_at: new Date(c.committedAt),
      landed_at: new Date(c.landedAt),
      subject: c.subject,
      body: c.body,
      files: JSON.stringify(c.files),
      merge: c.merge,
      merged_shas: c.mergedShas,
    }));
    await db.insertInto('change_commits').values(rows).execute();
  }
}

export async function listCommitsLanded(
  db: Db,
  window: { from: number; to: number },
  limit: number,
): Promise<CommitRow[]> {
  const rows = await db
    .selectFrom('change_commits')
    .select(commitColumns)
    .where('landed_at', '>=', new Date(window.from))
    .where('landed_at', '<=', new Date(window.to))
    .orderBy('position', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toCommit);
}

/** Commits whose sha begins with the given (lowercase) prefix; two at most, enough to tell it is ambiguous. */
export async function findCommits(db: Db, shaPrefix: string): Promise<CommitRow[]> {
  const rows = await db
    .selectFrom('change_commits')
    .select(commitColumns)
    .where(sql<boolean>`starts_with(sha, ${shaPrefix})`)
    .orderBy('position', 'desc')
    .limit(2)
    .execute();
  return rows.map(toCommit);
}

export type NewEvent = Omit<EventRow, 'createdAt'>;

/** Stores an event once: an id already held keeps what was stored first. Returns whether it was new. */
export async function insertEvent(db: Db, event: NewEvent): Promise<boolean> {
  const inserted = await db
    .insertInto('change_events')
    .values({
      id: event.id,
      kind: event.kind,
      title: event.title,
      description: event.description,
      source: event.source,
      author: event.author,
      landed_at: new Date(event.landedAt),
      target_expression: event.targetExpression,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return false;
  for (let i = 0; i < event.hosts.length; i += 5000) {
    await db
      .insertInto('change_event_hosts')
      .values(
        event.hosts.slice(i, i + 5000).map((h) => ({
          event_id: event.id,
          host: h.host,
          applied_at: h.appliedAt === null ? null : new Date(h.appliedAt),
        })),
      )
      .execute();
  }
  return true;
}

async function withHosts(db: Db, rows: Selectable<ChangeEventsTable>[]): Promise<EventRow[]> {
  const hosts = new Map<string, EventHostRow[]>();
  if (rows.length > 0) {
    const hostRows = await db
      .selectFrom('change_event_hosts')
      .select(['event_id', 'host', 'applied_at'])
      .where(
        'event_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('event_id')
      .orderBy('host')
      .execute();
    for (const h of hostRows) {
      const list = hosts.get(h.event_id) ?? [];
      list.push({ host: h.host, appliedAt: ms(h.applied_at) });
      hosts.set(h.event_id, list);
    }
  }
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    title: r.title,
    description: r.description,
    source: r.source,
    author: r.author,
    landedAt: r.landed_at.getTime(),
    targetExpression: r.target_expression,
    createdAt: r.created_at.getTime(),
    hosts: hosts.get(r.id) ?? [],
  }));
}

export async function findEvent(db: Db, id: string): Promise<EventRow | undefined> {
  const rows = await db.selectFrom('change_events').selectAll().where('id', '=', id).execute();
  return (await withHosts(db, rows))[0];
}

export async function listEventsLanded(
  db: Db,
  window: { from: number; to: number },
  limit: number,
): Promise<EventRow[]> {
  const rows = await db
    .selectFrom('change_events')
    .selectAll()
    .where('landed_at', '>=', new Date(window.from))
    .where('landed_at', '<=', new Date(window.to))
    .orderBy('landed_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return withHosts(db, rows);
}

/** Every host that has sent samples, with its labels (its grains for targeting). */
export async function listHostLabels(db: Db): Promise<{ id: string; labels: Record<string, string> }[]> {
  const rows = await db.selectFrom('hosts').select(['name', 'labels']).orderBy('name').execute();
  return rows.map((r) => ({ id: r.name, labels: r.labels }));
}

/** A commit's stored reach; `allHosts` stands for every host of the set it was computed for. */
export interface StoredReachRow {
  sha: string;
  hostSet: string;
  allHosts: boolean;
  hosts: string[];
  approximate: boolean;
  reasons: string[];
}

export type HostSetHosts = [string, Record<string, string>][];

export async function readReach(db: Db, shas: readonly string[]): Promise<StoredReachRow[]> {
  if (shas.length === 0) return [];
  const rows = await db
    .selectFrom('change_commit_reach')
    .select(['sha', 'host_set', 'all_hosts', 'hosts', 'approximate', 'reasons'])
    .where('sha', 'in', [...shas])
    .execute();
  return rows.map((r) => ({
    sha: r.sha,
    hostSet: r.host_set,
    allHosts: r.all_hosts,
    hosts: r.hosts,
    approximate: r.approximate,
    reasons: r.reasons,
  }));
}

export async function readHostSet(db: Db, key: string): Promise<HostSetHosts | undefined> {
  const row = await db
    .selectFrom('change_reach_host_sets')
    .select('hosts')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.hosts;
}

/**
 * Stores reach computed over one host set, replacing what a commit had; rows of commits no longer stored
 * (a force-push meanwhile) are skipped. Host sets no commit refers to any more are removed.
 */
export async function storeReach(
  db: Db,
  hostSet: { key: string; hosts: HostSetHosts },
  rows: readonly Omit<StoredReachRow, 'hostSet'>[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('change_reach_host_sets')
      .values({ key: hostSet.key, hosts: JSON.stringify(hostSet.hosts) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    // 6 parameters a row.
    for (let i = 0; i < rows.length; i += 1000) {
      const values = rows.slice(i, i + 1000).map((r) => ({
        sha: r.sha,
        host_set: hostSet.key,
        all_hosts: r.allHosts,
        hosts: r.hosts,
        approximate: r.approximate,
        reasons: r.reasons,
      }));
      await trx
        .insertInto('change_commit_reach')
        .columns(['sha', 'host_set', 'all_hosts', 'hosts', 'approximate', 'reasons'])
        .expression((eb) =>
          eb
            .selectFrom(
              sql<{
                sha: string;
                host_set: string;
                all_hosts: boolean;
                hosts: string;
                approximate: boolean;
                reasons: string;
              }>`(SELECT * FROM jsonb_to_recordset(${JSON.stringify(values)}::jsonb) AS x(sha text, host_set text, all_hosts boolean, hosts text[], approximate boolean, reasons text[]))`.as(
                'v',
              ),
            )
            .innerJoin('change_commits as c', 'c.sha', 'v.sha')
            .select(['v.sha', 'v.host_set', 'v.all_hosts', 'v.hosts', 'v.approximate', 'v.reasons']),
        )
        .onConflict((oc) =>
          oc.column('sha').doUpdateSet((eb) => ({
            host_set: eb.ref('excluded.host_set'),
            all_hosts: eb.ref('excluded.all_hosts'),
            hosts: eb.ref('excluded.hosts'),
            approximate: eb.ref('excluded.approximate'),
            reasons: eb.ref('excluded.reasons'),
            computed_at: sql<Date>`now()`,
          })),
        )
        .execute();
    }
    await trx
      .deleteFrom('change_reach_host_sets')
      .where('key', '!=', hostSet.key)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('change_commit_reach')
              .select('sha')
              .whereRef('change_commit_reach.host_set', '=', 'change_reach_host_sets.key'),
          ),
        ),
      )
      .execute();
  });
}

/** Commits landed since `from` that have no stored reach, newest first. */
export async function listCommitsWithoutReach(db: Db, from: number, limit: number): Promise<CommitRow[]> {
  const rows = await db
    .selectFrom('change_commits')
    .select(commitColumns.map((c) => `change_commits.${c}` as const))
    .leftJoin('change_commit_reach as r', 'r.sha', 'change_commits.sha')
    .where('r.sha', 'is', null)
    .where('change_commits.landed_at', '>=', new Date(from))
    .orderBy('change_commits.position', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toCommit);
}

/** When the newest stored commit landed. */
export async function latestLanded(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('change_commits')
    .select((eb) => eb.fn.max('landed_at').as('at'))
    .executeTakeFirst();
  return row?.at ? new Date(row.at).getTime() : undefined;
}
