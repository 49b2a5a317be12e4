import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { DomainError, ErrorCode } from '../../common/domain-error';
import { Edit } from '../core/types';
import { safeEntryPath } from './limits';

/** No component between the root and the file may be a symlink (so a write can never land outside the tree). */
function assertNoLinkOnPath(root: string, rel: string): void {
  let cur = root;
  for (const part of rel.split('/')) {
    cur = join(cur, part);
    if (!existsSync(cur)) return;
    if (lstatSync(cur).isSymbolicLink()) {
      throw new DomainError(ErrorCode.InvalidInput, `${rel}: ${cur} is a symlink; the patcher does not write through links. Nothing was changed.`, {
        path: rel,
      });
    }
  }
}

/**
 * Write the edits into the directory they were planned from. Everything is checked first (paths, links, the file
 * still holding the bytes that were read); only then is each file replaced atomically (temp file + rename), keeping its mode.
 */
export function writeEditsToDir(dir: string, edits: Edit[]): void {
  const root = resolve(dir);
  const targets = edits.map((e) => {
    const rel = safeEntryPath(e.path);
    const abs = resolve(root, rel);
    if (!abs.startsWith(root + sep)) throw new DomainError(ErrorCode.InvalidInput, `${e.path} is outside ${dir}.`, { path: e.path });
    assertNoLinkOnPath(root, rel);
    const exists = existsSync(abs);
    if (e.action === 'create' && exists) {
      throw new DomainError(ErrorCode.Conflict, `${e.path} appeared since the tree was read; run again. Nothing was changed.`, { path: e.path });
    }
    if (e.action !== 'create' && (!exists || !readFileSync(abs).equals(e.before!))) {
      throw new DomainError(ErrorCode.Conflict, `${e.path} changed since the tree was read; run again. Nothing was changed.`, { path: e.path });
    }
    return { e, abs };
  });
  for (const { e, abs } of targets) {
    if (e.action === 'delete') {
      unlinkSync(abs);
      continue;
    }
    mkdirSync(dirname(abs), { recursive: true });
    const tmp = join(dirname(abs), `.${process.pid}.svc-sentry-tmp`);
    writeFileSync(tmp, e.after!, { mode: e.mode });
    chmodSync(tmp, e.mode);
    renameSync(tmp, abs);
  }
}
