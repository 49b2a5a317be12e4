import { DomainError, ErrorCode } from '../../common/domain-error';
import { decodeText, DecodedText, encodeText } from './text-codec';
import { Edit, FileTree, TreeFile } from './types';

/** Decode a file the patcher must edit; anything it cannot edit faithfully is a refusal naming the file. */
export function textOf(tree: FileTree, path: string): { file: TreeFile; decoded: DecodedText } | undefined {
  const file = tree.get(path);
  if (!file) return undefined;
  if (file.symlinkTarget !== undefined) {
    throw new DomainError(
      ErrorCode.Unsupported,
      `${path} is a symlink (→ ${file.symlinkTarget}); the patcher does not edit through links. Nothing was changed.`,
      { path },
    );
  }
  const decoded = decodeText(file.data);
  if (decoded.kind === 'binary') {
    throw new DomainError(ErrorCode.InvalidInput, `${path} looks binary (NUL bytes) but must be edited as text. Nothing was changed.`, { path });
  }
  if (decoded.kind === 'undecodable') {
    throw new DomainError(ErrorCode.InvalidInput, `${path} cannot be decoded: ${decoded.reason}. Nothing was changed.`, { path });
  }
  return { file, decoded };
}

export function modifyEdit(file: TreeFile, decoded: DecodedText, newText: string, summary: string): Edit {
  const after = encodeText(newText, decoded.encoding);
  return { path: file.path, action: 'modify', before: file.data, after, mode: file.mode, encoding: decoded.encoding, eol: decoded.eol, summary };
}

export function createEdit(path: string, text: string, eol: 'lf' | 'crlf', summary: string): Edit {
  return { path, action: 'create', before: null, after: encodeText(text, 'utf8'), mode: 0o644, encoding: 'utf8', eol, summary };
}

export function deleteEdit(file: TreeFile, decoded: DecodedText, summary: string): Edit {
  return { path: file.path, action: 'delete', before: file.data, after: null, mode: file.mode, encoding: decoded.encoding, eol: decoded.eol, summary };
}
