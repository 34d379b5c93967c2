import { execFileSync, execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGitAdapter, type GitAdapter } from '../../server/changes/git.adapter.ts';
import { isGitError } from '../../server/changes/git.errors.ts';
import { createGitRunner, hardenedEnv, hardeningConfig } from '../../server/changes/git.exec.ts';
import { parseBranchName, parseGitSource } from '../../server/changes/git.source.ts';
import { FixtureRepo, fixtureEnv, makeScratch } from './git-fixture.ts';

const scratch = makeScratch('git-safety');
afterAll(() => scratch.cleanup());

/** A script that records that it ran; every case below asserts it did not (or, as a control, that it did). */
function markerScript(name: string): { script: string; marker: string } {
  const dir = scratch.dir(name);
  const marker = join(dir, 'ran');
  const script = join(dir, 'run.sh');
  writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\ncat >/dev/null 2>&1\nexit 0\n`);
  chmodSync(script, 0o755);
  return { script, marker };
}

function sourceRepo(): FixtureRepo {
  const repo = FixtureRepo.init(scratch.dir('source'), scratch.root);
  repo.commit({ message: 'first', files: { 'top.sls': 'base: {}\n' }, at: '2017-06-01T00:00:00Z' });
  return repo;
}

function mirrorPath(): string {
  return join(scratch.dir('data'), 'repo.git');
}

/** Everything the adapter does with a repository. */
async function exercise(adapter: GitAdapter): Promise<void> {
  const { head } = await adapter.sync();
  const { commits } = await adapter.listCommits();
  await adapter.listCommits({ since: commits[0]?.sha ?? head });
  await adapter.showCommit(head);
  const tree = await adapter.readTree(head);
  for (const path of tree.listFiles()) tree.readFile(path);
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isGitError(error) ? error.code : 'other';
  }
  return undefined;
};

describe('sources and branches are checked before git runs', () => {
  it.each([
    '--upload-pack=touch /tmp/onset-x',
    '-u touch /tmp/onset-x',
    'ext::sh -c touch% /tmp/onset-x',
    'EXT::sh -c touch% /tmp/onset-x',
    'fd::17',
    'git://example.com/salt.git',
    'http://example.com/salt.git',
    'ftp://example.com/salt.git',
    'ssh://-oProxyCommand=touch%20x/salt.git',
    'ssh://git@example.com/-salt.git',
    'git@-oProxyCommand=touch:salt.git',
    '-oProxyCommand=touch:salt.git',
    'git@example.com:-salt.git',
    'https://example.com/salt.git\n--upload-pack=x',
    'file://evil.example.com/srv/salt',
    '',
  ])('refuses %j', (source) => {
    expect(codeOf(() => parseGitSource(source))).toBe('git.unsafe_source');
    expect(codeOf(() => createGitAdapter({ source, cacheDir: mirrorPath() }))).toBe('git.unsafe_source');
  });

  it('accepts https, ssh and local paths, hiding credentials', () => {
    expect(parseGitSource('https://github.com/acme/salt.git')).toMatchObject({ kind: 'https' });
    expect(parseGitSource('https://x-token:s3cret@github.com/acme/salt.git')).toEqual({
      kind: 'https',
      location: 'https://x-token:s3cret@github.com/acme/salt.git',
      display: 'https://***@github.com/acme/salt.git',
    });
    expect(parseGitSource('git@github.com:acme/salt.git')).toMatchObject({ kind: 'ssh' });
    expect(parseGitSource('ssh://git@git.example.com:2222/acme/salt.git')).toMatchObject({ kind: 'ssh' });
    expect(parseGitSource('/srv/salt')).toEqual({
      kind: 'local',
      location: '/srv/salt',
      display: '/srv/salt',
    });
    expect(parseGitSource('salt', { cwd: '/srv' })).toMatchObject({ kind: 'local', location: '/srv/salt' });
    expect(parseGitSource('./a:b', { cwd: '/srv' })).toMatchObject({ kind: 'local', location: '/srv/a:b' });
    expect(parseGitSource('file:///srv/salt')).toMatchObject({ kind: 'local', location: '/srv/salt' });
    expect(parseGitSource('http://git.internal/salt.git', { allowHttp: true })).toMatchObject({
      kind: 'http',
    });
  });

  it.each([
    '--upload-pack=touch /tmp/onset-x',
    '-x',
    'a..b',
    'a b',
    'x.lock',
    '.hidden',
    'a//b',
    '@',
    'a@{1}',
    'x:y',
  ])('refuses the branch %j', (branch) => {
    expect(codeOf(() => parseBranchName(branch))).toBe('git.invalid_branch');
    expect(codeOf(() => createGitAdapter({ source: '/srv/salt', branch, cacheDir: mirrorPath() }))).toBe(
      'git.invalid_branch',
    );
  });

  it('accepts ordinary branch names', () => {
    expect(parseBranchName('main')).toBe('main');
    expect(parseBranchName('release/2017.06')).toBe('release/2017.06');
    expect(parseBranchName('refs/heads/production')).toBe('production');
  });
});

describe('an untrusted repository cannot run anything', () => {
  it('refuses an ext:: source even past the source check (protocol allow-list)', async () => {
    const { marker } = markerScript('ext');
    const cwd = scratch.dir('ext-cwd');
    const url = `ext::sh -c touch% ${marker}`;
    const hardened = createGitRunner({
      cwd,
      env: hardenedEnv(process.env, { allowHttp: false }),
      config: hardeningConfig({ allowHttp: false }),
      defaultTimeoutMs: 10_000,
      defaultMaxOutputBytes: 1024 * 1024,
    });
    await expect(hardened.run(['ls-remote', '--end-of-options', url])).rejects.toSatisfy((e) =>
      isGitError(e, 'git.failed'),
    );
    expect(existsSync(marker)).toBe(false);

    // Control: the same URL with the transport allowed does run the command.
    try {
      execFileSync('git', ['-c', 'protocol.ext.allow=always', 'ls-remote', url], {
        cwd,
        env: fixtureEnv(scratch.root),
        stdio: 'ignore',
      });
    } catch {
      // ext:: speaks no git protocol here; only the side effect matters.
    }
    expect(existsSync(marker)).toBe(true);
  });

  it('refuses a source or branch that is an option, without running it', async () => {
    const { marker } = markerScript('option');
    for (const attempt of [
      () => createGitAdapter({ source: `--upload-pack=touch ${marker}`, cacheDir: mirrorPath() }),
      () =>
        createGitAdapter({
          source: sourceRepo().path,
          branch: `--upload-pack=touch ${marker}`,
          cacheDir: mirrorPath(),
        }),
    ]) {
      await expect(
        Promise.resolve()
          .then(attempt)
          .then((a) => a.sync()),
      ).rejects.toSatisfy((e) => isGitError(e, 'git.unsafe_source') || isGitError(e, 'git.invalid_branch'));
    }
    expect(existsSync(marker)).toBe(false);
  });

  it("never runs the source repository's hooks", async () => {
    const repo = sourceRepo();
    const { script, marker } = markerScript('source-hooks');
    for (const hook of [
      'post-checkout',
      'post-merge',
      'reference-transaction',
      'post-update',
      'pre-auto-gc',
      'fsmonitor-watchman',
      'post-index-change',
    ]) {
      repo.hook(hook, `'${script}'`);
    }
    // Control: the hooks are live.
    repo.commit({ message: 'second', files: { 'a.sls': 'a\n' }, at: '2017-06-02T00:00:00Z' });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);

    await exercise(createGitAdapter({ source: repo.path, cacheDir: mirrorPath() }));
    expect(existsSync(marker)).toBe(false);
  });

  it("never runs hooks planted in the mirror (reference-transaction runs on every fetch's ref update)", async () => {
    const repo = sourceRepo();
    const mirror = mirrorPath();
    const adapter = createGitAdapter({ source: repo.path, cacheDir: mirror });
    await adapter.sync();
    const { script, marker } = markerScript('mirror-hooks');
    const hooksDir = join(mirror, 'hooks');
    execSync(`mkdir -p '${hooksDir}'`);
    for (const hook of ['reference-transaction', 'post-update', 'pre-auto-gc']) {
      writeFileSync(join(hooksDir, hook), `#!/bin/sh\n'${script}'\n`);
      chmodSync(join(hooksDir, hook), 0o755);
    }

    repo.commit({ message: 'second', files: { 'a.sls': 'a\n' }, at: '2017-06-02T00:00:00Z' });
    await exercise(adapter);
    expect(existsSync(marker)).toBe(false);

    // Control: a plain fetch into the same mirror runs the planted hook.
    repo.commit({ message: 'third', files: { 'b.sls': 'b\n' }, at: '2017-06-03T00:00:00Z' });
    execFileSync(
      'git',
      ['--git-dir', mirror, 'fetch', '--quiet', repo.path, '+refs/heads/main:refs/heads/main'],
      {
        env: fixtureEnv(scratch.root),
      },
    );
    expect(existsSync(marker)).toBe(true);
  });

  it("ignores core.fsmonitor in the source repository's config", async () => {
    const repo = sourceRepo();
    const { script, marker } = markerScript('fsmonitor');
    repo.git(['config', 'core.fsmonitor', script]);
    // Control: git status in the source runs it.
    repo.git(['status', '--porcelain']);
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);

    await exercise(createGitAdapter({ source: repo.path, cacheDir: mirrorPath() }));
    expect(existsSync(marker)).toBe(false);
  });

  it('ignores command-running settings planted in the mirror config (gpg, external diff, pager, fsmonitor)', async () => {
    const repo = sourceRepo();
    // A commit carrying a signature header, so that showing signatures would start gpg.program.
    const tree = repo.git(['rev-parse', 'HEAD^{tree}']).trim();
    const parent = repo.head();
    const signed = [
      `tree ${tree}`,
      `parent ${parent}`,
      'author Mallory <m@example.com> 1496361600 +0000',
      'committer Mallory <m@example.com> 1496361600 +0000',
      'gpgsig -----BEGIN PGP SIGNATURE-----',
      ' ',
      ' iQEzBAABCAAdFiEE',
      ' -----END PGP SIGNATURE-----',
      '',
      'signed change',
      '',
    ].join('\n');
    const signedFile = join(scratch.dir('signed'), 'commit');
    writeFileSync(signedFile, signed);
    const signedSha = repo.git(['hash-object', '-t', 'commit', '-w', '--literally', signedFile]).trim();
    repo.git(['update-ref', 'refs/heads/main', signedSha]);
    repo.commit({ message: 'after', files: { 'a.sls': 'a\n' }, at: '2017-06-03T00:00:00Z' });

    const mirror = mirrorPath();
    const adapter = createGitAdapter({ source: repo.path, cacheDir: mirror });
    await adapter.sync();
    const { script, marker } = markerScript('mirror-config');
    appendFileSync(
      join(mirror, 'config'),
      [
        '[log]',
        '\tshowSignature = true',
        '[gpg]',
        `\tprogram = ${script}`,
        '[diff]',
        `\texternal = ${script}`,
        '[core]',
        `\tfsmonitor = ${script}`,
        `\tpager = ${script}`,
        `\tsshCommand = ${script}`,
        '',
      ].join('\n'),
    );

    await exercise(adapter);
    await adapter.showCommit(signedSha);
    expect(existsSync(marker)).toBe(false);

    // Control: plain git with the same mirror runs the planted programs.
    execFileSync('git', ['--git-dir', mirror, 'log', '-p', '-2', 'refs/heads/main'], {
      env: fixtureEnv(scratch.root),
      stdio: 'ignore',
    });
    expect(existsSync(marker)).toBe(true);
  });

  it('ignores git variables in the ambient environment', async () => {
    const repo = sourceRepo();
    const { script, marker } = markerScript('ambient');
    const adapter = createGitAdapter({
      source: repo.path,
      cacheDir: mirrorPath(),
      env: {
        ...process.env,
        GIT_DIR: scratch.dir('elsewhere'),
        GIT_EXEC_PATH: '/nonexistent',
        GIT_SSH_COMMAND: script,
        GIT_CONFIG_PARAMETERS: `'core.hooksPath'='${scratch.root}'`,
        GIT_EXTERNAL_DIFF: script,
      },
    });
    await exercise(adapter);
    expect(existsSync(marker)).toBe(false);
  });

  it('copies objects from a local source through the git protocol, never as hardlinks', async () => {
    const repo = sourceRepo();
    const mirror = mirrorPath();
    await createGitAdapter({ source: repo.path, cacheDir: mirror }).sync();
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
      );
    const objects = files(join(mirror, 'objects'));
    expect(objects.length).toBeGreaterThan(0);
    for (const file of objects) expect(statSync(file).nlink).toBe(1);
  });
});

describe('time and size are bounded', () => {
  it('kills a fetch from a source that never answers, transport helpers included', async () => {
    const server: Server = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}/salt.git`;
    try {
      const adapter = createGitAdapter({
        source: url,
        branch: 'main',
        cacheDir: mirrorPath(),
        allowHttp: true,
        timeoutMs: 1500,
      });
      const started = Date.now();
      await expect(adapter.sync()).rejects.toSatisfy((e) => isGitError(e, 'git.timeout'));
      expect(Date.now() - started).toBeLessThan(10_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const left = execSync('ps -eo args', { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.includes(`127.0.0.1:${port}`));
      expect(left).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('stops a fetch that grows the mirror past its size limit and removes the mirror', async () => {
    const repo = sourceRepo();
    repo.commit({
      message: 'vendor a big blob',
      files: { 'files/big.bin': randomBytes(6 * 1024 * 1024) },
      at: '2017-06-02T00:00:00Z',
    });
    const mirror = mirrorPath();
    const adapter = createGitAdapter({ source: repo.path, cacheDir: mirror, maxBytes: 2 * 1024 * 1024 });
    await expect(adapter.sync()).rejects.toSatisfy((e) => isGitError(e, 'git.too_large'));
    expect(existsSync(mirror)).toBe(false);

    // The same source within a larger limit syncs.
    const roomy = createGitAdapter({ source: repo.path, cacheDir: mirror, maxBytes: 64 * 1024 * 1024 });
    expect((await roomy.sync()).head).toBe(repo.head());
  });
});
