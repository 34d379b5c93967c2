/** One changed path; additions and deletions are null for binary files. */
export interface GitFileChange {
  path: string;
  /** git's letter: A added, M modified, D deleted, R renamed, C copied, T type changed, U unmerged. */
  status: 'A' | 'M' | 'D' | 'R' | 'C' | 'T' | 'U' | 'X';
  additions: number | null;
  deletions: number | null;
  /** The path before a rename or copy. */
  oldPath?: string;
}

export interface ParsedLogCommit {
  sha: string;
  parents: string[];
  author: string;
  authorEmail: string;
  authoredAtMs: number;
  committedAtMs: number;
  subject: string;
  body: string;
  files: GitFileChange[];
}

const marker = '\u001eonset-commit';
const fields = ['%H', '%P', '%an', '%ae', '%at', '%ct', '%s', '%b'];

/**
 * `git log` arguments whose output `parseLog` reads: NUL-separated (`-z`), so any byte but NUL may appear
 * in a path, name or message. `--raw` gives status and rename sources, `--numstat` the line counts; both
 * list the same paths in the same order.
 */
export const logFormatArgs = [
  '-z',
  '--raw',
  '--numstat',
  '--no-abbrev',
  '-M',
  '--root',
  '--no-ext-diff',
  '--no-textconv',
  '--no-color',
  '--diff-merges=first-parent',
  `--format=${'%x1e'}onset-commit%x00${fields.join('%x00')}`,
];

const rawEntry = /^:\d+ \d+ [0-9a-f]+ [0-9a-f]+ ([A-Z])\d*$/;
const numstatEntry = /^(\d+|-)\t(\d+|-)\t([\s\S]*)$/;

/**
 * Reads `git log` output made with `logFormatArgs`, newest first as git prints it. The header has a fixed
 * number of fields and each diff entry a known number of path tokens, so odd names never shift the parse.
 */
export function parseLog(output: Buffer): ParsedLogCommit[] {
  const tokens = output.toString('utf8').split('\0');
  const commits: ParsedLogCommit[] = [];
  let i = 0;
  const next = (): string => {
    const token = tokens[i++];
    if (token === undefined) throw new Error('git log output ended inside a commit');
    return token;
  };

  while (i < tokens.length) {
    const start = tokens[i];
    if (start === '' || start === '\n') {
      i++;
      continue;
    }
    if (start !== marker) throw new Error(`unexpected token in git log output at ${i}`);
    i++;
    const [sha, parents, author, authorEmail, at, ct, subject, body] = fields.map(next) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const raw: { status: GitFileChange['status']; path: string; oldPath?: string }[] = [];
    const counts: { additions: number | null; deletions: number | null }[] = [];
    // Diff entries run until the next commit's marker or the end of the output.
    while (i < tokens.length && tokens[i] !== marker) {
      const token = (tokens[i++] ?? '').replace(/^\n/, '');
      if (token === '') continue;
      const rawMatch = rawEntry.exec(token);
      if (rawMatch) {
        const status = (rawMatch[1] ?? 'X') as GitFileChange['status'];
        if (status === 'R' || status === 'C') {
          const oldPath = next();
          raw.push({ status, oldPath, path: next() });
        } else {
          raw.push({ status, path: next() });
        }
        continue;
      }
      const numMatch = numstatEntry.exec(token);
      if (numMatch) {
        const count = (value: string | undefined) =>
          value === '-' || value === undefined ? null : Number(value);
        // An empty path means a rename: the old and new paths follow as two tokens.
        if (numMatch[3] === '') {
          next();
          next();
        }
        counts.push({ additions: count(numMatch[1]), deletions: count(numMatch[2]) });
        continue;
      }
      throw new Error(`unexpected diff entry in git log output for ${sha}`);
    }
    commits.push({
      sha,
      parents: parents === '' ? [] : parents.split(' '),
      author,
      authorEmail,
      authoredAtMs: Number(at) * 1000,
      committedAtMs: Number(ct) * 1000,
      subject,
      body: body.replace(/\n+$/, ''),
      files: raw.map((entry, index) => ({
        ...entry,
        ...(counts[index] ?? { additions: null, deletions: null }),
      })),
    });
  }
  return commits;
}

/**
 * For each merge on the first-parent chain, the commits it brings in: reachable from its other parents but
 * not from its first parent. `graph` is `rev-list --parents` output for the range being listed (commits
 * outside it are already on the chain), `chain` the first-parent commits oldest first.
 */
export function mergedCommitsByMerge(
  chain: readonly string[],
  graph: ReadonlyMap<string, readonly string[]>,
  order: ReadonlyMap<string, number>,
): Map<string, string[]> {
  const seen = new Set<string>();
  const result = new Map<string, string[]>();
  for (const sha of chain) {
    const parents = graph.get(sha) ?? [];
    if (parents.length > 1) {
      const merged: string[] = [];
      const stack = parents.slice(1).filter((p) => graph.has(p) && !seen.has(p));
      for (const p of stack) seen.add(p);
      while (stack.length > 0) {
        const current = stack.pop() as string;
        merged.push(current);
        for (const p of graph.get(current) ?? []) {
          if (graph.has(p) && !seen.has(p)) {
            seen.add(p);
            stack.push(p);
          }
        }
      }
      // Oldest first, as the chain itself.
      merged.sort((a, b) => (order.get(b) ?? 0) - (order.get(a) ?? 0));
      result.set(sha, merged);
    }
    seen.add(sha);
  }
  return result;
}

/** `rev-list --parents` output ("sha parent…" per line, newest first) as a map and a position index. */
export function parseRevListParents(output: string): {
  graph: Map<string, string[]>;
  order: Map<string, number>;
} {
  const graph = new Map<string, string[]>();
  const order = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const [sha, ...parents] = line.split(' ');
    if (sha === undefined) continue;
    order.set(sha, graph.size);
    graph.set(sha, parents);
  }
  return { graph, order };
}
