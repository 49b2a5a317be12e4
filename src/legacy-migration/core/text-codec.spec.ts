import * as iconv from 'iconv-lite';
import { decodeText, dominantEol, encodeText, splitKeepEol } from './text-codec';

describe('text codec', () => {
  it('detects UTF-8, UTF-8 with BOM and GBK, and re-encodes byte for byte', () => {
    const samples: Array<[Buffer, string]> = [
      [Buffer.from('# 中文\nx = 1\n'), 'utf8'],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# 中文\n')]), 'utf8-bom'],
      [iconv.encode('# 蓝鲸应用\r\nx = 1\r\n', 'gbk'), 'gb18030'],
    ];
    for (const [buf, enc] of samples) {
      const d = decodeText(buf);
      expect(d).toMatchObject({ kind: 'text', encoding: enc });
      if (d.kind === 'text') expect(encodeText(d.text, d.encoding).equals(buf)).toBe(true);
    }
  });

  it('calls NUL-bearing data binary and undecodable bytes undecodable', () => {
    expect(decodeText(Buffer.from([0x50, 0, 0x51])).kind).toBe('binary');
    expect(decodeText(Buffer.from([0x63, 0xe9, 0xff]))).toEqual({ kind: 'undecodable', reason: 'neither valid UTF-8 nor GBK/GB18030' });
    expect(decodeText(Buffer.from([0xef, 0xbb, 0xbf, 0xff])).kind).toBe('undecodable');
  });

  it('finds the dominant line ending and splits keeping terminators', () => {
    expect(dominantEol('a\r\nb\r\nc\n')).toBe('crlf');
    expect(dominantEol('a\nb\r\nc\n')).toBe('lf');
    expect(splitKeepEol('a\r\nb\nc')).toEqual(['a\r\n', 'b\n', 'c']);
  });
});
