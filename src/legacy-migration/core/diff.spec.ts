import { unifiedDiff } from './diff';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => expect(unifiedDiff('a.txt', 'x\ny\n', 'x\ny\n')).toBe(''));

  it('shows a created file against /dev/null', () => {
    expect(unifiedDiff('n.py', null, 'a\nb\n')).toBe('--- /dev/null\n+++ b/n.py\n@@ -0,0 +1,2 @@\n+a\n+b\n');
  });

  it('shows a deleted file', () => {
    expect(unifiedDiff('n.py', 'a\n', null)).toBe('--- a/n.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n');
  });

  it('keeps three lines of context and splits distant changes into hunks', () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n') + '\n';
    const b = a.replace('l2\n', 'L2\n').replace('l17\n', 'l17\nnew\n');
    expect(unifiedDiff('f', a, b)).toBe(
      '--- a/f\n+++ b/f\n@@ -1,6 +1,6 @@\n l0\n l1\n-l2\n+L2\n l3\n l4\n l5\n@@ -16,5 +16,6 @@\n l15\n l16\n l17\n+new\n l18\n l19\n',
    );
  });

  it('shows CRLF files without the carriage returns', () => {
    expect(unifiedDiff('f', 'a\r\n', 'a\r\nb\r\n')).toBe('--- a/f\n+++ b/f\n@@ -1 +1,2 @@\n a\n+b\n');
  });
});
