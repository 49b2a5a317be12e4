import { existsSync, statSync } from 'node:fs';
import { DomainError, ErrorCode } from '../../common/domain-error';
import { MigrationReport } from '../core/types';
import { isArchivePath } from '../io/archive';
import { migrateArchiveFile, migrateDirectory, RunOptions } from '../io/run';

export interface TargetResult {
  report: MigrationReport;
  /** Where the patched archive went (archives only). */
  output?: string;
  written: boolean;
}

/** `<base>.patched.tar.gz` / `<base>.patched.zip` next to the input (or `.reverted.` for --revert). */
export function defaultArchiveOut(input: string, revert: boolean): string {
  const m = /^(.*?)(\.tar\.gz|\.tgz|\.zip)$/i.exec(input)!;
  const ext = m[2].toLowerCase() === '.tgz' ? '.tar.gz' : m[2];
  return `${m[1]}.${revert ? 'reverted' : 'patched'}${ext}`;
}

/** Migrate one directory (in place) or one archive file (to `out`). */
export function migrateTarget(target: string, options: RunOptions & { out?: string }): TargetResult {
  if (!existsSync(target)) throw new DomainError(ErrorCode.InvalidInput, `${target} does not exist.`);
  if (statSync(target).isDirectory()) {
    const report = migrateDirectory(target, options);
    return { report, written: !options.dryRun && report.edits.length > 0 };
  }
  if (!isArchivePath(target)) {
    throw new DomainError(ErrorCode.Unsupported, `${target} is neither a directory nor a .tar.gz/.tgz/.zip archive.`);
  }
  const out = options.out ?? defaultArchiveOut(target, !!options.revert);
  if (!options.dryRun && existsSync(out)) {
    throw new DomainError(ErrorCode.Conflict, `${out} already exists; remove it or pass --out. Nothing was changed.`);
  }
  const { report, archive } = migrateArchiveFile(target, out, options);
  return { report, output: archive ? out : undefined, written: archive !== null };
}
