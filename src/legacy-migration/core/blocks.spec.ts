import { DomainError } from '../../common/domain-error';
import { appendBlock, block, findBlocks, insertBlockAt, removeBlocks } from './blocks';
import { splitKeepEol } from './text-codec';
import { BLOCK_BEGIN, BLOCK_END } from './types';

describe('marked blocks', () => {
  it.each([
    ['a\nb\n', 'lf'],
    ['a\r\nb\r\n', 'crlf'],
    ['a\nb', 'lf'],
    ['', 'lf'],
  ] as const)('append then remove gives back %j exactly', (text, eol) => {
    const patched = appendBlock(text, block(['x = 1']), eol);
    expect(patched).toContain(BLOCK_BEGIN);
    expect(removeBlocks(patched, 'f')).toBe(text);
  });

  it('inserts before a line and removes it again', () => {
    const text = 'import a\napp = X()\n';
    const patched = insertBlockAt(text, 1, block(['y = 2']), 'lf');
    expect(patched).toBe(`import a\n${BLOCK_BEGIN}\ny = 2\n${BLOCK_END}\napp = X()\n`);
    expect(removeBlocks(patched, 'f')).toBe(text);
  });

  it('refuses unbalanced markers with the line number', () => {
    expect(() => findBlocks(splitKeepEol(`a\n${BLOCK_BEGIN}\nb\n`), 'settings.py')).toThrow(DomainError);
    expect(() => findBlocks(splitKeepEol(`${BLOCK_END}\n`), 'settings.py')).toThrow(/settings\.py:1 has an END marker without BEGIN/);
  });
});
