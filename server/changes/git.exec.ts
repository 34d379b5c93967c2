import { spawn } from 'node:child_process';
import { GitError } from './git.errors.ts';

/**
 * Config given with `-c` on every command. Command-line config outranks every config file, so nothing a
 * repository (ours or a source's) writes in its config can switch these back on.
 */
export function hardeningConfig(options: { allowHttp: boolean }): string[] {
  const pairs = [
    // No hooks ever: reference-transaction runs on every ref update a fetch makes, even in a bare mirror.
    'core.hooksPath=/dev/null',
    // fsmonitor is a command git would start; a bare mirror has no index, this is belt and braces.
    'core.fsmonitor=false',
    // Our own ssh command: BatchMode never prompts, so a missing key fails instead of hanging.
    'core.sshCommand=ssh -o BatchMode=yes',
    // No askpass program and no credential helpers (an empty value resets the helper list).
    'core.askPass=',
    'credential.helper=',
    // Transports: deny all, then allow https, ssh and local paths (ext::, fd::, git://, http:// stay denied).
    'protocol.allow=never',
    'protocol.https.allow=always',
    'protocol.ssh.allow=always',
    'protocol.file.allow=always',
    ...(options.allowHttp ? ['protocol.http.allow=always'] : []),
    // Never reach into submodules (they would be further sources with their own URLs).
    'fetch.recurseSubmodules=false',
    'submodule.recurse=false',
    // Check incoming objects: refuses malformed trees (`.git` entries, `..` paths) before they are stored.
    'transfer.fsckObjects=true',
    'fetch.fsck.zeroPaddedFilemode=ignore',
    'fetch.fsck.badTimezone=ignore',
    'fetch.fsck.missingSpaceBeforeDate=ignore',
    // Keep every fetch in one pack (objects/pack/tmp_pack_*) so the size watch sees it grow.
    'transfer.unpackLimit=1',
    // Housekeeping runs inside our process group and time limit, never as a detached daemon.
    'gc.autoDetach=false',
    'maintenance.autoDetach=false',
    // Signature checks would start gpg.
    'log.showSignature=false',
    'i18n.logOutputEncoding=UTF-8',
  ];
  return pairs.flatMap((pair) => ['-c', pair]);
}

/** Ambient variables passed through: what finding git and ssh keys, and reaching a proxy, need. */
const passThroughEnv = [
  'PATH',
  'HOME',
  'TMPDIR',
  'SSH_AUTH_SOCK',
  'HTTPS_PROXY',
  'https_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
];

/** A fresh environment: no inherited GIT_* variable (GIT_DIR, GIT_SSH_COMMAND, GIT_EXEC_PATH …) survives. */
export function hardenedEnv(ambient: Record<string, string | undefined>, options: { allowHttp: boolean }) {
  const env: Record<string, string> = {};
  for (const key of passThroughEnv) {
    const value = ambient[key];
    if (value !== undefined) env[key] = value;
  }
  return {
    ...env,
    LC_ALL: 'C',
    LANG: 'C',
    // No system or user config: only git's defaults, our mirror's config and the -c overrides apply.
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // Fail instead of prompting; GIT_ASKPASS and SSH_ASKPASS are left unset on purpose.
    GIT_TERMINAL_PROMPT: '0',
    SSH_ASKPASS_REQUIRE: 'never',
    // The older allow-list: overrides protocol.* config, a second lock on the same door.
    GIT_ALLOW_PROTOCOL: options.allowHttp ? 'https:ssh:file:http' : 'https:ssh:file',
    GIT_PROTOCOL_FROM_USER: '0',
    // History is read as committed: no refs/replace substitutions, no lazy fetches of missing objects.
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_NO_LAZY_FETCH: '1',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_PAGER: 'cat',
  };
}

export interface GitRunner {
  run(args: string[], options?: GitRunOptions): Promise<GitRunResult>;
}

export interface GitRunOptions {
  /** Kill the whole process group after this long (git, its transport helpers, ssh). */
  timeoutMs?: number;
  input?: Buffer | string;
  /** Larger output fails with `git.too_large`, or is cut off when `truncate` is set. */
  maxOutputBytes?: number;
  truncate?: boolean;
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-base --is-ancestor`). */
  okExitCodes?: number[];
  /** Called while git runs; calling `stop` kills it and rejects with that error. Returns a disposer. */
  watch?: (stop: (error: GitError) => void) => () => void;
}

export interface GitRunResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
  truncated: boolean;
}

const stderrLimit = 64 * 1024;

/** Hide passwords and tokens in URLs before a message leaves the adapter. */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

export function createGitRunner(options: {
  gitDir?: string;
  cwd: string;
  env: Record<string, string>;
  config: string[];
  defaultTimeoutMs: number;
  defaultMaxOutputBytes: number;
}): GitRunner {
  const prefix = [...options.config, ...(options.gitDir ? ['--git-dir', options.gitDir] : [])];
  return {
    run(args, runOptions = {}) {
      return runGit([...prefix, ...args], {
        cwd: options.cwd,
        env: options.env,
        timeoutMs: runOptions.timeoutMs ?? options.defaultTimeoutMs,
        maxOutputBytes: runOptions.maxOutputBytes ?? options.defaultMaxOutputBytes,
        ...runOptions,
        command: args[0] ?? 'git',
      });
    },
  };
}

function runGit(
  args: string[],
  options: GitRunOptions & {
    cwd: string;
    env: Record<string, string>;
    timeoutMs: number;
    maxOutputBytes: number;
    command: string;
  },
): Promise<GitRunResult> {
  return new Promise((resolve, reject) => {
    // A process group of its own, so a kill reaches transport helpers and ssh too, not just git.
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let truncated = false;
    let failure: GitError | undefined;
    let settled = false;

    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const stop = (error: GitError) => {
      failure ??= error;
      killGroup();
    };
    const timer = setTimeout(
      () =>
        stop(new GitError('git.timeout', `git ${options.command} took longer than ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const unwatch = options.watch?.(stop);

    child.stdout?.on('data', (chunk: Buffer) => {
      if (truncated || failure) return;
      const room = options.maxOutputBytes - size;
      if (chunk.length <= room) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      if (options.truncate) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        truncated = true;
        killGroup();
      } else {
        stop(
          new GitError(
            'git.too_large',
            `git ${options.command} printed more than ${options.maxOutputBytes} bytes`,
          ),
        );
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < stderrLimit) stderr += chunk.toString('utf8');
    });
    if (child.stdin) {
      // git may exit before reading all input; that shows in its exit code, not as EPIPE here.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }

    const finish = (exitCode: number | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unwatch?.();
      if (failure) return reject(failure);
      if (spawnError) return reject(new GitError('git.failed', `could not run git: ${spawnError.message}`));
      const stdout = Buffer.concat(chunks, size);
      const code = exitCode ?? -1;
      if (truncated) return resolve({ stdout, stderr, exitCode: code, truncated });
      if (code !== 0 && !(options.okExitCodes ?? []).includes(code)) {
        const detail = redactUrls(stderr.trim().split('\n').slice(-5).join('\n'));
        return reject(new GitError('git.failed', `git ${options.command} failed (exit ${code}): ${detail}`));
      }
      resolve({ stdout, stderr, exitCode: code, truncated });
    };
    child.on('error', (error) => finish(null, error));
    child.on('close', (code) => finish(code));
  });
}
