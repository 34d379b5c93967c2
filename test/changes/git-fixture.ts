import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Person {
  name: string;
  email: string;
}

export const alice: Person = { name: 'Alice Admin', email: 'alice@example.com' };
export const bob: Person = { name: 'Bob Ops', email: 'bob@example.com' };
export const carol: Person = { name: 'Carol Dev', email: 'carol@example.com' };

/** A temporary directory per test file; everything the tests make lives under it. */
export function makeScratch(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), `onset-${prefix}-`));
  let counter = 0;
  return {
    root,
    dir(name: string): string {
      const path = join(root, `${name}-${++counter}`);
      mkdirSync(path, { recursive: true });
      return path;
    },
    cleanup(): void {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Plain git for building fixtures, isolated from the user's and the system's config. */
export function fixtureEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    ...extra,
  };
}

export class FixtureRepo {
  constructor(
    readonly path: string,
    private readonly home: string,
  ) {}

  static init(path: string, home: string, branch = 'main'): FixtureRepo {
    const repo = new FixtureRepo(path, home);
    repo.git(['init', '--quiet', '-b', branch]);
    return repo;
  }

  git(args: string[], env: Record<string, string> = {}): string {
    return execFileSync('git', args, { cwd: this.path, env: fixtureEnv(this.home, env), encoding: 'utf8' });
  }

  /** Writes files (null deletes) and commits them with controlled people and dates; returns the sha. */
  commit(options: {
    message: string;
    files?: Record<string, string | Buffer | null>;
    author?: Person;
    at: string;
    committedAt?: string;
    committer?: Person;
  }): string {
    for (const [path, content] of Object.entries(options.files ?? {})) {
      const full = join(this.path, path);
      if (content === null) {
        rmSync(full, { force: true });
      } else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    this.git(['add', '-A']);
    this.git(['commit', '--quiet', '--allow-empty', '-m', options.message], this.identity(options));
    return this.head();
  }

  merge(options: { branch: string; message: string; at: string; author?: Person }): string {
    this.git(['merge', '--quiet', '--no-ff', '-m', options.message, options.branch], this.identity(options));
    return this.head();
  }

  head(): string {
    return this.git(['rev-parse', 'HEAD']).trim();
  }

  hook(name: string, script: string): void {
    const path = join(this.path, '.git', 'hooks', name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `#!/bin/sh\n${script}\n`);
    chmodSync(path, 0o755);
  }

  private identity(options: { author?: Person; at: string; committedAt?: string; committer?: Person }) {
    const author = options.author ?? alice;
    const committer = options.committer ?? author;
    return {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: options.at,
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
      GIT_COMMITTER_DATE: options.committedAt ?? options.at,
    };
  }
}

export const epoch = (iso: string): number => Date.parse(iso);
