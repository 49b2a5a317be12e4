import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { DomainError, ErrorCode } from '../../common/domain-error';
import { TreeFile } from '../core/types';
import { checkLinkInside, DEFAULT_LIMITS, Limits, SizeBudget } from './limits';

const SKIP = new Set(['.git', '.hg', '.svn', 'node_modules', '__pycache__']);

/**
 * Read a directory into a tree. Symlinks are recorded, never followed; one pointing outside the tree is a refusal.
 * Sizes are checked from lstat before any file is read (a huge file is refused without reading it).
 * Not read: VCS folders, node_modules, __pycache__ and virtualenvs (folders holding pyvenv.cfg).
 */
export function readDirTree(dir: string, limits: Limits = DEFAULT_LIMITS): Map<string, TreeFile> {
  const root = resolve(dir);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new DomainError(ErrorCode.InvalidInput, `${dir} does not exist.`, { path: dir });
  }
  if (!st.isDirectory()) throw new DomainError(ErrorCode.InvalidInput, `${dir} is not a directory.`, { path: dir });
  const realRoot = realpathSync(root);
  const budget = new SizeBudget(limits);
  const tree = new Map<string, TreeFile>();

  const walk = (abs: string, rel: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (SKIP.has(entry.name)) continue;
      const childAbs = join(abs, entry.name);
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const ls = lstatSync(childAbs);
      if (ls.isSymbolicLink()) {
        const target = readlinkSync(childAbs);
        checkLinkInside(childRel, target);
        // Also resolve it on disk: a chain of links may still leave the tree.
        let real: string | undefined;
        try {
          real = realpathSync(childAbs);
        } catch {
          real = undefined; // dangling, harmless: it is never followed
        }
        if (real !== undefined && real !== realRoot && !real.startsWith(realRoot + sep)) {
          throw new DomainError(
            ErrorCode.InvalidInput,
            `symlink ${childRel} → ${target} resolves to ${relative(realRoot, real)}, outside the tree; refused. Nothing was changed.`,
            {
              path: childRel,
            },
          );
        }
        budget.add(childRel, 0);
        tree.set(childRel, { path: childRel, data: Buffer.alloc(0), mode: ls.mode & 0o7777, symlinkTarget: target });
      } else if (ls.isDirectory()) {
        // A virtualenv inside the checkout is not app source (and links to the system python): left out entirely.
        if (existsSync(join(childAbs, 'pyvenv.cfg'))) continue;
        walk(childAbs, childRel);
      } else if (ls.isFile()) {
        budget.add(childRel, ls.size);
        tree.set(childRel, { path: childRel, data: readFileSync(childAbs), mode: ls.mode & 0o7777 });
      } else {
        throw new DomainError(ErrorCode.InvalidInput, `${childRel} is not a regular file, directory or symlink; refused. Nothing was changed.`, {
          path: childRel,
        });
      }
    }
  };
  walk(root, '');
  return tree;
}
