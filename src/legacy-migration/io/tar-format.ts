import { Header, Pax } from 'tar';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DomainError, ErrorCode } from '../../common/domain-error';
import { FileTree, TreeFile } from '../core/types';
import { checkLinkInside, Limits, safeEntryPath, SizeBudget } from './limits';

const BLOCK = 512;
const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

function gunzipLimited(gz: Buffer, limits: Limits): Buffer {
  // Headers and padding cost at most ~1.5 KiB per file on top of the content.
  const max = limits.maxTreeBytes + limits.maxFiles * 1536 + 1024 * 1024;
  try {
    return gunzipSync(gz, { maxOutputLength: max });
  } catch (e) {
    if (e?.code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|larger than|buffer length/i.test(String(e?.message))) {
      throw new DomainError(ErrorCode.PayloadTooLarge, `The archive unpacks to more than ${Math.round(max / 1024 / 1024)} MiB; refused. Nothing was changed.`);
    }
    throw new DomainError(ErrorCode.InvalidInput, `The .tar.gz is not valid gzip: ${e?.message}. Nothing was changed.`);
  }
}

/**
 * Read a .tar.gz into a tree, checking every entry before keeping it: safe relative path, links inside the tree,
 * no devices or FIFOs, per-file and per-tree size limits (checked from the header, before the data is taken).
 */
export function readTarGz(gz: Buffer, limits: Limits): Map<string, TreeFile> {
  const raw = gunzipLimited(gz, limits);
  const tree = new Map<string, TreeFile>();
  const budget = new SizeBudget(limits);
  let ex: Record<string, unknown> | undefined;
  let gex: Record<string, unknown> | undefined;
  let off = 0;
  while (off + BLOCK <= raw.length) {
    const h = new Header(raw, off, ex as never, gex as never);
    if (h.nullBlock) break;
    if (!h.cksumValid) throw new DomainError(ErrorCode.InvalidInput, `The tar archive is corrupt at byte ${off} (bad header checksum). Nothing was changed.`);
    const size = h.size ?? 0;
    const dataStart = off + BLOCK;
    if (dataStart + size > raw.length) throw new DomainError(ErrorCode.InvalidInput, 'The tar archive is truncated. Nothing was changed.');
    const body = () => raw.subarray(dataStart, dataStart + size);
    off = dataStart + size + pad(size);
    const type = h.type;
    if (type === 'ExtendedHeader' || type === 'GlobalExtendedHeader') {
      const pax = Pax.parse(body().toString('utf8'), type === 'ExtendedHeader' ? ex : gex, type === 'GlobalExtendedHeader');
      if (type === 'ExtendedHeader') ex = pax as never;
      else gex = pax as never;
      continue;
    }
    if (type === 'NextFileHasLongPath' || type === 'OldGnuLongPath') {
      ex = { ...(ex ?? {}), path: body().toString('utf8').replace(/\0.*$/s, '') };
      continue;
    }
    if (type === 'NextFileHasLongLinkpath') {
      ex = { ...(ex ?? {}), linkpath: body().toString('utf8').replace(/\0.*$/s, '') };
      continue;
    }
    ex = undefined;
    const name = h.path ?? '';
    const path = safeEntryPath(name);
    if (type === 'Directory' || path === '') continue;
    if (type === 'SymbolicLink' || type === 'Link') {
      const target = h.linkpath ?? '';
      if (type === 'Link') {
        // Hard links name another entry of the archive, relative to the archive root.
        const t = safeEntryPath(target);
        const src = tree.get(t);
        if (!src || src.symlinkTarget !== undefined) {
          throw new DomainError(
            ErrorCode.InvalidInput,
            `Hard link ${path} → ${target} does not name an earlier file of the archive; refused. Nothing was changed.`,
            { entry: name },
          );
        }
        budget.add(path, src.data.length);
        tree.set(path, { path, data: src.data, mode: (h.mode ?? 0o644) & 0o7777 });
      } else {
        checkLinkInside(path, target, 'Archive symlink');
        budget.add(path, 0);
        tree.set(path, { path, data: Buffer.alloc(0), mode: 0o777, symlinkTarget: target });
      }
      continue;
    }
    if (type !== 'File' && type !== 'OldFile' && type !== 'ContiguousFile') {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `Archive entry "${name}" is a ${type}; only files, directories and links are accepted. Nothing was changed.`,
        { entry: name },
      );
    }
    budget.add(path, size);
    tree.set(path, { path, data: Buffer.from(body()), mode: (h.mode ?? 0o644) & 0o7777 });
  }
  return tree;
}

const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

/** Write a tree as .tar.gz (ustar, with pax headers for long names). */
export function writeTarGz(tree: FileTree): Buffer {
  const parts: Buffer[] = [];
  for (const f of [...tree.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const isLink = f.symlinkTarget !== undefined;
    const data: Record<string, unknown> = {
      path: f.path,
      mode: isLink ? 0o777 : f.mode,
      uid: 0,
      gid: 0,
      size: isLink ? 0 : f.data.length,
      mtime: FIXED_MTIME,
      type: isLink ? 'SymbolicLink' : 'File',
      linkpath: f.symlinkTarget,
      uname: '',
      gname: '',
    };
    const header = new Header(data as never);
    const block = Buffer.alloc(BLOCK);
    if (header.encode(block, 0)) {
      parts.push(new Pax({ path: f.path, linkpath: f.symlinkTarget, mtime: FIXED_MTIME } as never).encode());
    }
    parts.push(block);
    if (!isLink && f.data.length) {
      parts.push(f.data, Buffer.alloc(pad(f.data.length)));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts));
}
