import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { applyEdits, migrate } from '../core/migrate';
import { MigrateOptions, MigrationReport } from '../core/types';
import { ArchiveKind, readArchive, readArchiveAsync, sniffArchive, writeArchive } from './archive';
import { DEFAULT_LIMITS, Limits } from './limits';
import { readDirTree } from './read-dir';
import { writeEditsToDir } from './write-dir';
import { DomainError, ErrorCode } from '../../common/domain-error';

export interface RunOptions extends MigrateOptions {
  dryRun?: boolean;
  limits?: Limits;
}

/** Patch (or revert) a directory in place; with dryRun nothing is written. */
export function migrateDirectory(dir: string, options: RunOptions): MigrationReport {
  const tree = readDirTree(dir, options.limits ?? DEFAULT_LIMITS);
  const report = migrate(tree, options);
  if (!options.dryRun && report.edits.length) writeEditsToDir(dir, report.edits);
  return report;
}

export interface ArchiveResult {
  report: MigrationReport;
  kind: ArchiveKind;
  /** The patched archive (null on dry run or when nothing changed). */
  archive: Buffer | null;
}

/** Patch (or revert) an archive held in memory; the result is a new archive of the same kind. */
export function migrateArchiveBuffer(buf: Buffer, options: RunOptions): ArchiveResult {
  const kind = sniffArchive(buf);
  const tree = readArchive(buf, options.limits ?? DEFAULT_LIMITS, kind);
  const report = migrate(tree, options);
  const archive = options.dryRun || report.edits.length === 0 ? null : writeArchive(applyEdits(tree, report.edits), kind);
  return { report, kind, archive };
}

/** As migrateArchiveBuffer, reading the archive with streamed, capped inflation (for the server's event loop). */
export async function migrateArchiveBufferAsync(buf: Buffer, options: RunOptions): Promise<ArchiveResult> {
  const kind = sniffArchive(buf);
  const tree = await readArchiveAsync(buf, options.limits ?? DEFAULT_LIMITS, kind);
  const report = migrate(tree, options);
  const archive = options.dryRun || report.edits.length === 0 ? null : writeArchive(applyEdits(tree, report.edits), kind);
  return { report, kind, archive };
}

/** Patch an archive file; the result goes to `out` (never over the input). */
export function migrateArchiveFile(input: string, out: string, options: RunOptions): ArchiveResult {
  if (!existsSync(input)) throw new DomainError(ErrorCode.InvalidInput, `${input} does not exist.`);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const buf = readFileSync(input);
  if (buf.length > limits.maxTreeBytes) {
    throw new DomainError(ErrorCode.PayloadTooLarge, `${input} is larger than the tree limit (${limits.maxTreeBytes} bytes). Nothing was changed.`);
  }
  const result = migrateArchiveBuffer(buf, options);
  if (result.archive) writeFileSync(out, result.archive, { flag: 'wx' });
  return result;
}
