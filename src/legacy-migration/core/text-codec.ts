import * as iconv from 'iconv-lite';
import { TextEncoding } from './types';

/** A decoded text file: the text keeps its own line endings; `eol` is the dominant one, used for inserted lines. */
export interface DecodedText {
  kind: 'text';
  text: string;
  encoding: TextEncoding;
  eol: 'lf' | 'crlf';
}
export type Decoded = DecodedText | { kind: 'binary' } | { kind: 'undecodable'; reason: string };

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** NUL bytes in the first 8 KiB mean binary (git's heuristic). */
export function isBinary(data: Buffer): boolean {
  return data.subarray(0, 8192).includes(0);
}

export function dominantEol(text: string): 'lf' | 'crlf' {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) === 13) crlf++;
    else lf++;
  }
  return crlf > lf ? 'crlf' : 'lf';
}

/**
 * Decode bytes as UTF-8 (with or without BOM) or, failing that, GB18030 (a superset of GBK), accepting GB18030 only
 * when it round-trips byte for byte. Anything else is undecodable: the patcher will not edit it.
 */
export function decodeText(data: Buffer): Decoded {
  if (isBinary(data)) return { kind: 'binary' };
  const hasBom = data.length >= 3 && data.subarray(0, 3).equals(UTF8_BOM);
  const body = hasBom ? data.subarray(3) : data;
  try {
    const text = strictUtf8.decode(body);
    return { kind: 'text', text, encoding: hasBom ? 'utf8-bom' : 'utf8', eol: dominantEol(text) };
  } catch {
    if (hasBom) return { kind: 'undecodable', reason: 'starts with a UTF-8 BOM but is not valid UTF-8' };
  }
  const text = iconv.decode(data, 'gb18030');
  if (iconv.encode(text, 'gb18030').equals(data)) {
    return { kind: 'text', text, encoding: 'gb18030', eol: dominantEol(text) };
  }
  return { kind: 'undecodable', reason: 'neither valid UTF-8 nor GBK/GB18030' };
}

export function encodeText(text: string, encoding: TextEncoding): Buffer {
  switch (encoding) {
    case 'utf8':
      return Buffer.from(text, 'utf8');
    case 'utf8-bom':
      return Buffer.concat([UTF8_BOM, Buffer.from(text, 'utf8')]);
    case 'gb18030':
      return iconv.encode(text, 'gb18030');
  }
}

/** Turn LF-joined lines into the file's line ending. */
export function withEol(lines: string[], eol: 'lf' | 'crlf'): string {
  const sep = eol === 'crlf' ? '\r\n' : '\n';
  return lines.map((l) => l + sep).join('');
}

/** Split keeping each line's terminator, so untouched lines are reproduced byte for byte. */
export function splitKeepEol(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

export const stripEol = (line: string) => line.replace(/\r?\n$/, '');
