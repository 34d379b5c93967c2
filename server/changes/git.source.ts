import { isAbsolute, resolve } from 'node:path';
import { GitError } from './git.errors.ts';

export interface GitSource {
  kind: 'https' | 'http' | 'ssh' | 'local';
  /** What git is given: a URL, an scp-like address or an absolute path; never begins with `-`. */
  location: string;
  /** The same with any password or token hidden, for logs and errors. */
  display: string;
}

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
// git's own test for "<transport>::<address>": such sources run a remote helper (ext:: runs a command).
const transportHelper = /^[A-Za-z][A-Za-z0-9+.-]*::/;
const urlScheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
// git reads "host:path" with no slash before the colon as ssh (scp syntax).
const scpLike = /^(?:([^@/:]+)@)?([^@/:[\]]+|\[[^\]/]+\]):(.*)$/s;
const safeUser = /^[A-Za-z0-9._~+-]+$/;
const safeHost = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])$/;

function refuse(source: string, why: string): never {
  throw new GitError('git.unsafe_source', `refusing repository source ${redact(source)}: ${why}`);
}

function redact(source: string): string {
  return JSON.stringify(source.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]+@/i, '$1***@'));
}

/**
 * Accept https URLs, ssh (`ssh://` and `user@host:path`) and local paths; refuse everything else before git
 * sees it. http:// is refused unless allowed: content and any token travel in clear, and a history that a
 * network attacker can rewrite decides which commit gets blamed.
 */
export function parseGitSource(
  source: string,
  options: { allowHttp?: boolean; cwd?: string } = {},
): GitSource {
  if (source.length === 0 || source.length > 4096) refuse(source, 'empty or too long');
  if (hasControlCharacters(source)) refuse(source, 'control characters');
  // A leading dash would be read as an option (`--upload-pack=…` runs a command).
  if (source.startsWith('-')) refuse(source, 'begins with "-"');
  if (transportHelper.test(source)) refuse(source, 'remote helpers ("<transport>::") are not allowed');

  const scheme = urlScheme.exec(source)?.[1]?.toLowerCase();
  if (scheme !== undefined) return parseUrl(source, scheme, options.allowHttp ?? false);

  const scp = scpLike.exec(source);
  if (scp) {
    const [, user, host = '', path = ''] = scp;
    if (user !== undefined && (!safeUser.test(user) || user.startsWith('-'))) refuse(source, 'bad ssh user');
    // A host beginning with "-" becomes an ssh option (`-oProxyCommand=…`).
    if (!safeHost.test(host) || host.startsWith('-')) refuse(source, 'bad ssh host');
    if (path.startsWith('-')) refuse(source, 'path begins with "-"');
    return { kind: 'ssh', location: source, display: source };
  }

  const absolute = isAbsolute(source) ? resolve(source) : resolve(options.cwd ?? process.cwd(), source);
  return { kind: 'local', location: absolute, display: absolute };
}

function parseUrl(source: string, scheme: string, allowHttp: boolean): GitSource {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    refuse(source, 'not a valid URL');
  }
  const display = redact(source).slice(1, -1);
  const host = url.hostname;
  if (host.startsWith('-') || decodeURIComponent(url.username).startsWith('-')) {
    refuse(source, 'host or user begins with "-"');
  }
  switch (scheme) {
    case 'https':
      if (!host) refuse(source, 'no host');
      return { kind: 'https', location: source, display };
    case 'http':
      if (!allowHttp) refuse(source, 'http:// is not allowed (use https)');
      if (!host) refuse(source, 'no host');
      return { kind: 'http', location: source, display };
    case 'ssh':
    case 'git+ssh':
    case 'ssh+git':
      if (!host) refuse(source, 'no host');
      if (decodeURIComponent(url.pathname).replace(/^\/~?/, '').startsWith('-')) {
        refuse(source, 'path begins with "-"');
      }
      return { kind: 'ssh', location: source, display };
    case 'file': {
      if (host && host !== 'localhost') refuse(source, 'file:// URLs name a local path only');
      const path = decodeURIComponent(url.pathname);
      return { kind: 'local', location: path, display: path };
    }
    default:
      return refuse(source, `the ${scheme}:// transport is not allowed (https, ssh or a local path)`);
  }
}

/**
 * A branch name as `git check-ref-format --branch` accepts it, minus the `@{-1}` shorthands. Given as
 * `main` or `refs/heads/main`; returns the short name.
 */
export function parseBranchName(branch: string): string {
  const name = branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
  const bad = (why: string): never => {
    throw new GitError('git.invalid_branch', `invalid branch name ${JSON.stringify(branch)}: ${why}`);
  };
  if (name.length === 0 || name.length > 255) bad('empty or too long');
  if (name.startsWith('-')) bad('begins with "-"');
  if (hasControlCharacters(name)) bad('control characters');
  if (/[ ~^:?*[\\]/.test(name)) bad('forbidden character');
  if (name.includes('..') || name.includes('@{') || name === '@') bad('forbidden sequence');
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) bad('empty path component');
  if (name.endsWith('.')) bad('ends with "."');
  for (const part of name.split('/')) {
    if (part.startsWith('.') || part.endsWith('.lock'))
      bad('a component begins with "." or ends with ".lock"');
  }
  return name;
}
