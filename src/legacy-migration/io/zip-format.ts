import AdmZip from 'adm-zip';
import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import { DomainError, ErrorCode } from '../../common/domain-error';
import { FileTree, TreeFile } from '../core/types';
import { checkLinkInside, Limits, safeEntryPath, SizeBudget } from './limits';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

const STORED = 0;
const DEFLATED = 8;

type Inflated = Buffer | null;
/** Inflate raw deflate data, stopping as soon as the output passes `cap` bytes (then null). */
type Inflate = (compressed: Buffer, cap: number) => Inflated | Promise<Inflated>;

/** Synchronous (the CLI): zlib stops and throws once the output passes maxOutputLength. */
const inflateSync: Inflate = (compressed, cap) => {
  try {
    return inflateRawSync(compressed, { maxOutputLength: cap + 1, chunkSize: 64 * 1024 });
  } catch (e) {
    if (e?.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) return null;
    throw e;
  }
};

/**
 * Streamed on zlib's thread pool (the server): 64 KiB at a time, the event loop stays free between chunks, and the
 * stream is destroyed as soon as the output passes the cap, so a bomb costs at most cap + 64 KiB of inflation.
 */
const inflateStreamed: Inflate = (compressed, cap) =>
  new Promise<Inflated>((resolve, reject) => {
    const inflate = createInflateRaw({ chunkSize: 64 * 1024 });
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    inflate.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > cap) {
        over = true;
        chunks.length = 0;
        inflate.destroy();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    inflate.on('error', (e) => (over ? undefined : reject(e)));
    inflate.on('end', () => resolve(Buffer.concat(chunks)));
    inflate.end(compressed);
  });

interface EntryHeader {
  method: number;
  encrypted: boolean;
  crc: number;
  size: number;
}

function openZip(buf: Buffer): AdmZip.IZipEntry[] {
  try {
    return new AdmZip(buf).getEntries();
  } catch (e) {
    throw new DomainError(ErrorCode.InvalidInput, `The .zip cannot be read: ${e?.message ?? e}. Nothing was changed.`);
  }
}

/**
 * Read a .zip into a tree with the same checks as tar. Declared sizes (central directory) are checked before inflating,
 * and the bytes actually inflated are capped too (per file and per tree): a header that lies about its size (a zip
 * bomb declares 0 and inflates to gigabytes) is refused after at most the cap is inflated. Never trusts the declared size.
 */
function* readZipSteps(buf: Buffer, limits: Limits, inflate: Inflate): Generator<Inflated | Promise<Inflated>, Map<string, TreeFile>, Inflated> {
  const tree = new Map<string, TreeFile>();
  const budget = new SizeBudget(limits);
  let inflatedTotal = 0;
  for (const entry of openZip(buf)) {
    const path = safeEntryPath(entry.entryName);
    if (entry.isDirectory || path === '') continue;
    const header = entry.header as unknown as EntryHeader;
    const unixMode = (entry.attr >>> 16) & 0xffff;
    const declared = header.size;
    budget.add(path, (unixMode & S_IFMT) === S_IFLNK ? 0 : declared);
    if (header.encrypted) throw new DomainError(ErrorCode.InvalidInput, `Zip entry ${path} is encrypted; refused. Nothing was changed.`, { entry: path });
    // Inflate no more than the limits allow and no more than one byte past what the entry declares: a larger output
    // is refused anyway, so a bomb stops at its first chunk whatever it claims.
    const limit = Math.min(limits.maxFileBytes, limits.maxTreeBytes - inflatedTotal);
    const cap = Math.min(limit, declared);
    const compressed = entry.getCompressedData();
    let data: Inflated;
    if (header.method === STORED) {
      data = compressed.length > cap ? null : compressed;
    } else if (header.method === DEFLATED) {
      try {
        data = yield inflate(compressed, cap);
      } catch (e) {
        throw new DomainError(ErrorCode.InvalidInput, `Zip entry ${path} cannot be inflated (${e?.message ?? e}); refused. Nothing was changed.`, {
          entry: path,
        });
      }
    } else {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `Zip entry ${path} uses compression method ${header.method} (only stored and deflate are read); refused. Nothing was changed.`,
        { entry: path },
      );
    }
    if (data === null) {
      if (cap < limit) {
        throw new DomainError(
          ErrorCode.InvalidInput,
          `Zip entry ${path} inflates to more than the ${declared} bytes it declares; refused after inflating at most ${cap + 64 * 1024} bytes. Nothing was changed.`,
          { entry: path, declared },
        );
      }
      throw new DomainError(ErrorCode.PayloadTooLarge, `Zip entry ${path} inflates to more than ${limit} bytes, over the size limit. Nothing was changed.`, {
        entry: path,
        declared,
        limit,
      });
    }
    inflatedTotal += data.length;
    if (data.length !== declared) {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `Zip entry ${path} inflates to ${data.length} bytes, not the ${declared} it declares; refused. Nothing was changed.`,
        { entry: path },
      );
    }
    if (crc32(data) >>> 0 !== header.crc >>> 0) {
      throw new DomainError(ErrorCode.InvalidInput, `Zip entry ${path} cannot be inflated (CRC mismatch); refused. Nothing was changed.`, { entry: path });
    }
    if ((unixMode & S_IFMT) === S_IFLNK) {
      const target = data.toString('utf8');
      checkLinkInside(path, target, 'Archive symlink');
      tree.set(path, { path, data: Buffer.alloc(0), mode: 0o777, symlinkTarget: target });
    } else {
      tree.set(path, { path, data, mode: unixMode & 0o7777 || 0o644 });
    }
  }
  return tree;
}

/** Read a .zip synchronously (the CLI); inflation is capped by bytes actually produced. */
export function readZip(buf: Buffer, limits: Limits): Map<string, TreeFile> {
  const steps = readZipSteps(buf, limits, inflateSync);
  let next = steps.next();
  while (!next.done) next = steps.next(next.value as Inflated);
  return next.value;
}

/** Read a .zip with streamed inflation on the thread pool (the server): the event loop is never held by one entry. */
export async function readZipAsync(buf: Buffer, limits: Limits): Promise<Map<string, TreeFile>> {
  const steps = readZipSteps(buf, limits, inflateStreamed);
  let next = steps.next();
  while (!next.done) {
    let value: Inflated;
    try {
      value = await next.value;
    } catch (e) {
      next = steps.throw(e);
      continue;
    }
    next = steps.next(value);
  }
  return next.value;
}

export function writeZip(tree: FileTree): Buffer {
  const zip = new AdmZip();
  for (const f of [...tree.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (f.symlinkTarget !== undefined) {
      // adm-zip's addFile takes permission bits only and always marks a regular file: set the type afterwards.
      const entry = zip.addFile(f.path, Buffer.from(f.symlinkTarget, 'utf8'), '', 0o777);
      entry.attr = ((S_IFLNK | 0o777) << 16) >>> 0;
    } else {
      zip.addFile(f.path, f.data, '', f.mode & 0o7777);
    }
  }
  return zip.toBuffer();
}
