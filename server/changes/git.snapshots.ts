import type { GitRunner } from './git.exec.ts';
import {
  parseCatFileBatch,
  parseLsTree,
  symlinkMode,
  treeSnapshot,
  type BlobCache,
  type TreeEntry,
  type TreeSnapshot,
} from './git.tree.ts';

/** One commit of a first-parent walk: its tree and its first parent's. */
export interface CommitSnapshots {
  sha: string;
  parent: string | undefined;
  snapshot: TreeSnapshot;
  /** undefined for a root commit. */
  previous: TreeSnapshot | undefined;
}

export interface SnapshotLimits {
  maxFileBytes: number;
  timeoutMs: number;
  maxOutputBytes: number;
}

/** One path a commit changes against its first parent (`--raw --no-renames`: a rename is D plus A). */
export interface RawChange {
  path: string;
  oldMode: string;
  newMode: string;
  oldOid: string;
  newOid: string;
}

export interface RawLogCommit {
  sha: string;
  parents: string[];
  changes: RawChange[];
}

const marker = '\u001eonset-tree';
const zeroOid = /^0+$/;
const rawEntry = /^:(\d+) (\d+) ([0-9a-f]+) ([0-9a-f]+) [A-Z]\d*$/;

/** `git log` arguments whose output `parseRawLog` reads, oldest first. */
export const rawLogArgs = [
  '-z',
  '--raw',
  '--no-abbrev',
  '--no-renames',
  '--first-parent',
  '--diff-merges=first-parent',
  '--reverse',
  '--root',
  '--no-ext-diff',
  '--no-textconv',
  '--no-color',
  '--format=%x1eonset-tree%x00%H%x00%P',
];

export function parseRawLog(output: Buffer): RawLogCommit[] {
  const tokens = output.toString('utf8').split('\0');
  const commits: RawLogCommit[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i++];
    if (token === '' || token === '\n') continue;
    if (token !== marker) throw new Error(`unexpected token in git log output at ${i - 1}`);
    const sha = tokens[i++] ?? '';
    const parents = tokens[i++] ?? '';
    const changes: RawChange[] = [];
    while (i < tokens.length && tokens[i] !== marker) {
      const entry = (tokens[i++] ?? '').replace(/^\n/, '');
      if (entry === '') continue;
      const m = rawEntry.exec(entry);
      const path = tokens[i++];
      if (!m || path === undefined) throw new Error(`unexpected diff entry in git log output for ${sha}`);
      changes.push({
        path,
        oldMode: m[1] as string,
        newMode: m[2] as string,
        oldOid: m[3] as string,
        newOid: m[4] as string,
      });
    }
    commits.push({ sha, parents: parents === '' ? [] : parents.split(' '), changes });
  }
  return commits;
}

const isBlobMode = (mode: string): boolean => mode.startsWith('100') || mode === symlinkMode;
const folderOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')));

/**
 * A tree as folders of entries, copied on write folder by folder: a commit's tree shares every folder
 * it does not change with its parent's, so a walk over thousands of commits costs little more than its
 * diffs.
 */
export class PersistentTree {
  private sorted: string[] | undefined;

  private constructor(private readonly folders: ReadonlyMap<string, ReadonlyMap<string, TreeEntry>>) {}

  static of(entries: ReadonlyMap<string, TreeEntry>): PersistentTree {
    const folders = new Map<string, Map<string, TreeEntry>>();
    for (const [path, entry] of entries) {
      const folder = folderOf(path);
      let files = folders.get(folder);
      if (files === undefined) folders.set(folder, (files = new Map()));
      files.set(path, entry);
    }
    return new PersistentTree(folders);
  }

  get(path: string): TreeEntry | undefined {
    return this.folders.get(folderOf(path))?.get(path);
  }

  /** Every path, in git's order (byte order of the full paths). */
  paths(): string[] {
    if (this.sorted === undefined) {
      const all: string[] = [];
      for (const files of this.folders.values()) for (const path of files.keys()) all.push(path);
      this.sorted = all.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    return this.sorted;
  }

  /** This tree with the changes applied; sizes of new blobs come from `sizeOf`. */
  apply(changes: readonly RawChange[], sizeOf: (oid: string) => number): PersistentTree {
    if (changes.length === 0) return this;
    const folders = new Map(this.folders);
    const copied = new Set<string>();
    for (const change of changes) {
      const folder = folderOf(change.path);
      let files = folders.get(folder) as Map<string, TreeEntry> | undefined;
      if (!copied.has(folder)) {
        files = new Map(files ?? []);
        folders.set(folder, files);
        copied.add(folder);
      }
      if (files === undefined) continue;
      // Submodules (mode 160000) have no content here, as in `ls-tree`.
      if (zeroOid.test(change.newOid) || !isBlobMode(change.newMode)) files.delete(change.path);
      else files.set(change.path, { mode: change.newMode, oid: change.newOid, size: sizeOf(change.newOid) });
      if (files.size === 0) folders.delete(folder);
    }
    return new PersistentTree(folders);
  }
}

/** `cat-file --batch-check` output: "<oid> <type> <size>" per line. */
function parseBatchCheck(output: Buffer): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const line of output.toString('utf8').split('\n')) {
    const [oid, type, size] = line.split(' ');
    if (oid && type === 'blob' && size !== undefined) sizes.set(oid, Number(size));
  }
  return sizes;
}

/**
 * The trees of the first-parent commits after `since` up to `until`, built from one `ls-tree` of `since`,
 * one `git log --raw` of the range and the blobs read with one `cat-file --batch`: the files Salt reads
 * (`wanted`: SLS and templates), symlinks, and every blob a commit changes. Other files are listed but read
 * as undefined. `since` null walks from the root.
 */
export async function walkSnapshots(
  git: GitRunner,
  range: { since: string | null; until: string },
  options: { cache: BlobCache; limits: SnapshotLimits; wanted: (path: string) => boolean },
): Promise<CommitSnapshots[]> {
  const { limits, cache, wanted } = options;
  const run = { timeoutMs: limits.timeoutMs, maxOutputBytes: limits.maxOutputBytes };
  const revisions = range.since === null ? [range.until] : [range.until, `^${range.since}`];
  const [listing, log] = await Promise.all([
    range.since === null
      ? null
      : git.run(['ls-tree', '-r', '-z', '-l', '--full-tree', '--end-of-options', range.since], run),
    git.run(['log', ...rawLogArgs, '--end-of-options', ...revisions], run),
  ]);
  const base = listing === null ? new Map<string, TreeEntry>() : parseLsTree(listing.stdout);
  const commits = parseRawLog(log.stdout);

  const sizes = new Map<string, number>();
  const toRead = new Set<string>();
  for (const [path, entry] of base) {
    sizes.set(entry.oid, entry.size);
    if (entry.mode === symlinkMode || wanted(path)) toRead.add(entry.oid);
  }
  for (const commit of commits) {
    for (const change of commit.changes) {
      for (const [oid, mode] of [
        [change.oldOid, change.oldMode],
        [change.newOid, change.newMode],
      ] as const) {
        if (!zeroOid.test(oid) && isBlobMode(mode)) toRead.add(oid);
      }
    }
  }
  const contents = new Map<string, Buffer>();
  const unsized: string[] = [];
  for (const oid of toRead) {
    const cached = cache.get(oid);
    if (cached !== undefined) contents.set(oid, cached);
    else if (!sizes.has(oid)) unsized.push(oid);
  }
  if (unsized.length > 0) {
    const check = await git.run(['cat-file', '--batch-check'], { ...run, input: unsized.join('\n') + '\n' });
    for (const [oid, size] of parseBatchCheck(check.stdout)) sizes.set(oid, size);
  }
  const fetch: string[] = [];
  let bytes = 0;
  for (const oid of toRead) {
    const size = sizes.get(oid);
    if (contents.has(oid) || size === undefined || size > limits.maxFileBytes) continue;
    fetch.push(oid);
    bytes += size + 128;
  }
  if (fetch.length > 0) {
    const batch = await git.run(['cat-file', '--batch'], {
      timeoutMs: limits.timeoutMs,
      input: fetch.join('\n') + '\n',
      maxOutputBytes: bytes + 1024,
    });
    for (const [oid, blob] of parseCatFileBatch(batch.stdout)) {
      const own = Buffer.from(blob);
      contents.set(oid, own);
      cache.set(oid, own);
    }
  }

  const blob = (oid: string) => contents.get(oid);
  const sizeOf = (oid: string) => sizes.get(oid) ?? 0;
  const snapshotOf = (tree: PersistentTree) =>
    treeSnapshot({ get: (p) => tree.get(p), paths: () => tree.paths() }, blob);
  let tree = PersistentTree.of(base);
  let previous = range.since === null ? undefined : snapshotOf(tree);
  const out: CommitSnapshots[] = [];
  for (const commit of commits) {
    tree = tree.apply(commit.changes, sizeOf);
    const snapshot = snapshotOf(tree);
    out.push({ sha: commit.sha, parent: commit.parents[0], snapshot, previous });
    previous = snapshot;
  }
  return out;
}
