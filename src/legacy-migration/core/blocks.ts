import { DomainError, ErrorCode } from '../../common/domain-error';
import { splitKeepEol, stripEol } from './text-codec';
import { BLOCK_BEGIN, BLOCK_END } from './types';

export interface BlockSpan {
  /** Line index of the BEGIN marker. */
  begin: number;
  /** Line index of the END marker. */
  end: number;
}

const isBegin = (line: string) => stripEol(line).trim() === BLOCK_BEGIN;
const isEnd = (line: string) => stripEol(line).trim() === BLOCK_END;

/** The marked blocks in a file (lines with their terminators); unbalanced markers are refused. */
export function findBlocks(lines: string[], path: string): BlockSpan[] {
  const spans: BlockSpan[] = [];
  let open = -1;
  lines.forEach((line, i) => {
    if (isBegin(line)) {
      if (open >= 0) throw unbalanced(path, i, 'a second BEGIN marker before END');
      open = i;
    } else if (isEnd(line)) {
      if (open < 0) throw unbalanced(path, i, 'an END marker without BEGIN');
      spans.push({ begin: open, end: i });
      open = -1;
    }
  });
  if (open >= 0) throw unbalanced(path, open, 'a BEGIN marker without END');
  return spans;
}

function unbalanced(path: string, index: number, what: string): DomainError {
  return new DomainError(ErrorCode.InvalidInput, `${path}:${index + 1} has ${what} (PaaS 3.0 adaptation markers); fix the file by hand.`, {
    path,
    line: index + 1,
  });
}

/** The text with every marked block removed (exactly the lines the patcher added). */
export function removeBlocks(text: string, path: string): string {
  const lines = splitKeepEol(text);
  const spans = findBlocks(lines, path);
  if (spans.length === 0) return text;
  const drop = new Set<number>();
  for (const s of spans) for (let i = s.begin; i <= s.end; i++) drop.add(i);
  const kept = lines.filter((_, i) => !drop.has(i));
  // A block appended to a file without a final newline ends without one too: restore the original last line.
  const last = spans[spans.length - 1];
  if (last.end === lines.length - 1 && !/\n$/.test(lines[last.end]) && kept.length > 0) {
    kept[kept.length - 1] = stripEol(kept[kept.length - 1]);
  }
  return kept.join('');
}

/** Text outside the marked blocks (what the app itself contains). */
export function outsideBlocks(text: string, path: string): string {
  return removeBlocks(text, path);
}

/** The block lines (without terminators), BEGIN/END included. */
export const block = (body: string[]) => [BLOCK_BEGIN, ...body, BLOCK_END];

/** Append a block at the end; a missing final newline is added before it and left off after it (so revert is exact). */
export function appendBlock(text: string, blockLines: string[], eol: 'lf' | 'crlf'): string {
  const sep = eol === 'crlf' ? '\r\n' : '\n';
  if (text === '') return blockLines.map((l) => l + sep).join('');
  if (/\n$/.test(text)) return text + blockLines.map((l) => l + sep).join('');
  return text + sep + blockLines.join(sep);
}

/** Insert a block before line `index` (0-based) of the text. */
export function insertBlockAt(text: string, index: number, blockLines: string[], eol: 'lf' | 'crlf'): string {
  const sep = eol === 'crlf' ? '\r\n' : '\n';
  const lines = splitKeepEol(text);
  if (index >= lines.length) return appendBlock(text, blockLines, eol);
  return [...lines.slice(0, index), ...blockLines.map((l) => l + sep), ...lines.slice(index)].join('');
}
