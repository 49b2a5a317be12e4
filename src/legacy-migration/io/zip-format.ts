import AdmZip from 'adm-zip';
import { DomainError, ErrorCode } from '../../common/domain-error';
import { FileTree, TreeFile } from '../core/types';
import { checkLinkInside, Limits, safeEntryPath, SizeBudget } from './limits';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Read a .zip into a tree with the same checks as tar; sizes come from the central directory before inflating. */
export function readZip(buf: Buffer, limits: Limits): Map<string, TreeFile> {
  let zip: AdmZip;
  try {
    zip = new AdmZip(buf);
  } catch (e) {
    throw new DomainError(ErrorCode.InvalidInput, `The .zip cannot be read: ${e?.message ?? e}. Nothing was changed.`);
  }
  const tree = new Map<string, TreeFile>();
  const budget = new SizeBudget(limits);
  for (const entry of zip.getEntries()) {
    const path = safeEntryPath(entry.entryName);
    if (entry.isDirectory || path === '') continue;
    const unixMode = (entry.attr >>> 16) & 0xffff;
    const declared = entry.header.size;
    budget.add(path, (unixMode & S_IFMT) === S_IFLNK ? 0 : declared);
    let data: Buffer;
    try {
      data = entry.getData();
    } catch (e) {
      throw new DomainError(ErrorCode.InvalidInput, `Zip entry ${path} cannot be inflated (${e?.message ?? e}); refused. Nothing was changed.`, {
        entry: path,
      });
    }
    if (data.length !== declared) {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `Zip entry ${path} inflates to ${data.length} bytes, not the ${declared} it declares; refused. Nothing was changed.`,
        { entry: path },
      );
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
