import { DomainError, ErrorCode } from '../../common/domain-error';
import { FileTree, TreeFile } from '../core/types';
import { Limits } from './limits';
import { readTarGz, writeTarGz } from './tar-format';
import { readZip, readZipAsync, writeZip } from './zip-format';

export type ArchiveKind = 'tar.gz' | 'zip';

export const ARCHIVE_CONTENT_TYPES: Record<ArchiveKind, string> = { 'tar.gz': 'application/gzip', zip: 'application/zip' };

/** Archive kind from the bytes (gzip or zip magic), or a refusal. */
export function sniffArchive(buf: Buffer): ArchiveKind {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'tar.gz';
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x06054b50) return 'zip'; // empty zip
  throw new DomainError(ErrorCode.Unsupported, 'The input is neither a .tar.gz nor a .zip archive. Nothing was changed.');
}

export function readArchive(buf: Buffer, limits: Limits, kind: ArchiveKind = sniffArchive(buf)): Map<string, TreeFile> {
  return kind === 'zip' ? readZip(buf, limits) : readTarGz(buf, limits);
}

/** The server's reader: zip entries are inflated streamed and capped off the event loop (tar.gz as readArchive). */
export async function readArchiveAsync(buf: Buffer, limits: Limits, kind: ArchiveKind = sniffArchive(buf)): Promise<Map<string, TreeFile>> {
  return kind === 'zip' ? readZipAsync(buf, limits) : readTarGz(buf, limits);
}

export function writeArchive(tree: FileTree, kind: ArchiveKind): Buffer {
  return kind === 'zip' ? writeZip(tree) : writeTarGz(tree);
}

export const isArchivePath = (p: string) => /\.(tar\.gz|tgz|zip)$/i.test(p);
