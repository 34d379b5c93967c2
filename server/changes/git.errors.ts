/** Codes a git adapter error carries; callers branch on these, never on messages. */
export type GitErrorCode =
  | 'git.unsafe_source' // source refused: transport, option injection, control characters
  | 'git.invalid_branch' // branch name is not a valid branch ref
  | 'git.invalid_revision' // a sha argument that is not a hex object name
  | 'git.not_found' // branch, commit or remote HEAD does not exist
  | 'git.timeout' // git was killed after the time limit
  | 'git.too_large' // the mirror grew past its size limit
  | 'git.failed'; // git exited non-zero for another reason

export class GitError extends Error {
  constructor(
    readonly code: GitErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GitError';
  }
}

export function isGitError(error: unknown, code?: GitErrorCode): error is GitError {
  return error instanceof GitError && (code === undefined || error.code === code);
}
