import { posix } from 'node:path';
import type { GitRunner } from './git.exec.ts';

/** The repository's files at one commit. Paths are relative to the repository root, `/`-separated. */
export interface TreeSnapshot {
  listFiles(): string[];
  /** undefined when the path is not a file at this commit, is binary, or is larger than the read limit. */
  readFile(path: string): string | undefined;
}

export interface TreeEntry {
  mode: string;
  oid: string;
  size: number;
}

export const symlinkMode = '120000';
const maxSymlinkHops = 8;

/** Most recently used entries stay; byte-bounded so a large tree cannot pin memory. */
export class BlobCache {
  private readonly blobs = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(oid: string): Buffer | undefined {
    const blob = this.blobs.get(oid);
    if (blob) {
      this.blobs.delete(oid);
      this.blobs.set(oid, blob);
    }
    return blob;
  }

  set(oid: string, blob: Buffer): void {
    if (this.blobs.has(oid) || blob.length > this.maxBytes) return;
    this.blobs.set(oid, blob);
    this.bytes += blob.length;
    for (const [key, value] of this.blobs) {
      if (this.bytes <= this.maxBytes) break;
      this.blobs.delete(key);
      this.bytes -= value.length;
    }
  }
}

/** `ls-tree -r -z -l` output: "<mode> <type> <oid> <size padded>\t<path>" per NUL-terminated entry. */
export function parseLsTree(output: Buffer): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  for (const record of output.toString('utf8').split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode = '', type, oid = '', size = ''] = record.slice(0, tab).split(/ +/);
    // Submodules (type commit) have no content here.
    if (type !== 'blob') continue;
    entries.set(record.slice(tab + 1), { mode, oid, size: Number(size) });
  }
  return entries;
}

/** `cat-file --batch` output: "<oid> blob <size>\n<content>\n" per object, "<oid> missing\n" for absent ones. */
export function parseCatFileBatch(output: Buffer): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  let at = 0;
  while (at < output.length) {
    const newline = output.indexOf(0x0a, at);
    if (newline < 0) break;
    const [oid = '', type, size] = output.subarray(at, newline).toString('utf8').split(' ');
    at = newline + 1;
    if (type === 'missing' || size === undefined) continue;
    const length = Number(size);
    blobs.set(oid, output.subarray(at, at + length));
    at += length + 1;
  }
  return blobs;
}

function looksBinary(blob: Buffer): boolean {
  return blob.subarray(0, 8000).includes(0);
}

/**
 * Lists the tree with one `ls-tree` and reads every blob not already cached with one `cat-file --batch`,
 * so the snapshot answers synchronously; text is decoded on first read.
 */
export async function loadTree(
  git: GitRunner,
  commit: string,
  cache: BlobCache,
  limits: { maxFileBytes: number; timeoutMs: number },
): Promise<TreeSnapshot> {
  const listing = await git.run(['ls-tree', '-r', '-z', '-l', '--full-tree', '--end-of-options', commit], {
    timeoutMs: limits.timeoutMs,
  });
  const entries = parseLsTree(listing.stdout);
  // Blobs already cached are held by this snapshot at once: the shared cache may drop them later.
  const contents = new Map<string, Buffer>();
  const wanted = new Set<string>();
  let wantedBytes = 0;
  for (const entry of entries.values()) {
    if (entry.size > limits.maxFileBytes || contents.has(entry.oid) || wanted.has(entry.oid)) continue;
    const cached = cache.get(entry.oid);
    if (cached) {
      contents.set(entry.oid, cached);
    } else {
      wanted.add(entry.oid);
      wantedBytes += entry.size + 128;
    }
  }
  if (wanted.size > 0) {
    const batch = await git.run(['cat-file', '--batch'], {
      input: [...wanted].join('\n') + '\n',
      maxOutputBytes: wantedBytes + 1024,
      timeoutMs: limits.timeoutMs,
    });
    for (const [oid, blob] of parseCatFileBatch(batch.stdout)) {
      // Copied out of the batch buffer so a cached blob does not keep the whole batch alive.
      const own = Buffer.from(blob);
      contents.set(oid, own);
      cache.set(oid, own);
    }
  }

  return treeSnapshot({ get: (path) => entries.get(path), paths: () => [...entries.keys()] }, (oid) =>
    contents.get(oid),
  );
}

/** A tree's entries by path; `paths` in git's order. */
export interface TreeEntries {
  get(path: string): TreeEntry | undefined;
  paths(): string[];
}

/**
 * A snapshot over entries and the blobs at hand: symlinks are followed while they stay inside the
 * repository; a blob that is absent, binary or too large reads as undefined.
 */
export function treeSnapshot(entries: TreeEntries, blob: (oid: string) => Buffer | undefined): TreeSnapshot {
  const decoded = new Map<string, string | undefined>();
  const resolvePath = (path: string): TreeEntry | undefined => {
    let current = posix.normalize(path.replace(/^\/+/, ''));
    for (let hop = 0; hop <= maxSymlinkHops; hop++) {
      const entry = entries.get(current);
      if (!entry || entry.mode !== symlinkMode) return entry;
      const target = blob(entry.oid)?.toString('utf8');
      if (target === undefined || posix.isAbsolute(target)) return undefined;
      // A link is followed only while it stays inside the repository.
      current = posix.normalize(posix.join(posix.dirname(current), target));
      if (current.startsWith('../') || current === '..') return undefined;
    }
    return undefined;
  };
  let list: string[] | undefined;

  return {
    listFiles: () => (list ??= entries.paths()).slice(),
    readFile(path) {
      if (decoded.has(path)) return decoded.get(path);
      const entry = resolvePath(path);
      const content = entry ? blob(entry.oid) : undefined;
      const text = content && !looksBinary(content) ? content.toString('utf8') : undefined;
      decoded.set(path, text);
      return text;
    },
  };
}
