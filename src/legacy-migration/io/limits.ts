import { posix } from 'node:path';
import { DomainError, ErrorCode } from '../../common/domain-error';

/** Size limits for what the patcher reads (a directory or an archive). */
export interface Limits {
  /** Largest single file. */
  maxFileBytes: number;
  /** Sum of all file sizes. */
  maxTreeBytes: number;
  maxFiles: number;
}

export const DEFAULT_LIMITS: Limits = { maxFileBytes: 10 * 1024 * 1024, maxTreeBytes: 100 * 1024 * 1024, maxFiles: 20000 };

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 3 : 1)} MiB`;

/** Accumulates sizes and refuses as soon as a limit is passed. */
export class SizeBudget {
  private total = 0;
  private files = 0;
  constructor(private readonly limits: Limits) {}

  add(path: string, size: number): void {
    if (size > this.limits.maxFileBytes) {
      throw new DomainError(
        ErrorCode.PayloadTooLarge,
        `${path} is ${mb(size)}, over the per-file limit of ${mb(this.limits.maxFileBytes)}. Nothing was changed.`,
        {
          path,
          size,
          limit: this.limits.maxFileBytes,
        },
      );
    }
    this.total += size;
    this.files += 1;
    if (this.total > this.limits.maxTreeBytes) {
      throw new DomainError(
        ErrorCode.PayloadTooLarge,
        `The tree is over the limit of ${mb(this.limits.maxTreeBytes)} (reached at ${path}). Nothing was changed.`,
        {
          limit: this.limits.maxTreeBytes,
        },
      );
    }
    if (this.files > this.limits.maxFiles) {
      throw new DomainError(ErrorCode.PayloadTooLarge, `The tree has more than ${this.limits.maxFiles} files. Nothing was changed.`, {
        limit: this.limits.maxFiles,
      });
    }
  }
}

/**
 * A safe relative POSIX path for an archive entry or a tree file, or a refusal: no absolute paths, drive letters,
 * backslashes, NUL bytes or `..` segments.
 */
export function safeEntryPath(name: string): string {
  const refuse = (why: string) => new DomainError(ErrorCode.InvalidInput, `Archive entry "${name}" ${why}; refused. Nothing was changed.`, { entry: name });
  if (name.includes('\0')) throw refuse('contains a NUL byte');
  if (name.includes('\\')) throw refuse('contains a backslash');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw refuse('is an absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse('has a ".." segment');
  return parts.join('/');
}

/** A symlink at `path` pointing to `target` must stay inside the tree. */
export function checkLinkInside(path: string, target: string, what = 'symlink'): void {
  const escapes = target.startsWith('/') || /^[A-Za-z]:/.test(target) || posix.normalize(posix.join(posix.dirname(path), target)).split('/')[0] === '..';
  if (escapes) {
    throw new DomainError(ErrorCode.InvalidInput, `${what} ${path} → ${target} points outside the tree; refused. Nothing was changed.`, { path, target });
  }
}
