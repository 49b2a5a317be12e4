import { findBlocks, removeBlocks } from './blocks';
import { deleteEdit, modifyEdit } from './edit-file';
import { decodeText, splitKeepEol, stripEol } from './text-codec';
import { blockSdk, createdFileHeader, requirementsHeader } from './templates';
import { Edit, FileTree, GENERATED_HEADER, SdkMode } from './types';

export interface RevertPlan {
  edits: Edit[];
  notes: string[];
  /** The SDKs the removed blocks were written for. */
  sdks: SdkMode[];
}

const GENERATED_ONLY = new Set([...createdFileHeader, ...requirementsHeader].map((l) => l.trim()));

/**
 * Remove exactly what the patch added: every marked block, and files the patch created when nothing but its header
 * is left. Files without blocks are not touched; binary and undecodable files are skipped.
 */
export function planRevert(tree: FileTree, root: string): RevertPlan {
  const plan: RevertPlan = { edits: [], notes: [], sdks: [] };
  const prefix = root ? `${root}/` : '';
  for (const [path, file] of [...tree].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!path.startsWith(prefix) || file.symlinkTarget !== undefined) continue;
    if (!file.data.includes('PAAS 3.0 ADAPTATION')) continue;
    const decoded = decodeText(file.data);
    if (decoded.kind !== 'text') continue;
    const spans = findBlocks(splitKeepEol(decoded.text), path);
    if (spans.length === 0) continue;
    const lines = splitKeepEol(decoded.text);
    for (const span of spans) {
      const sdk = blockSdk(lines.slice(span.begin, span.end + 1).join(''));
      if (sdk && !plan.sdks.includes(sdk)) plan.sdks.push(sdk);
    }
    const rest = removeBlocks(decoded.text, path);
    const generated = decoded.text.includes(GENERATED_HEADER);
    const restLines = splitKeepEol(rest)
      .map((l) => stripEol(l).trim())
      .filter((l) => l !== '');
    if (generated && restLines.every((l) => GENERATED_ONLY.has(l))) {
      plan.edits.push(deleteEdit(file, decoded, `delete ${path} (created by the patch)`));
    } else {
      plan.edits.push(modifyEdit(file, decoded, rest, `remove ${spans.length} PaaS 3.0 adaptation block${spans.length > 1 ? 's' : ''}`));
      if (generated) plan.notes.push(`${path} was created by the patch but has other content now; only the block was removed.`);
    }
  }
  return plan;
}
