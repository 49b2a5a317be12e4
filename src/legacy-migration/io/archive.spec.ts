import { treeFrom } from '../core/migrate';
import { readArchive, sniffArchive, writeArchive } from './archive';
import { DEFAULT_LIMITS, safeEntryPath } from './limits';

describe('archives', () => {
  const tree = treeFrom({
    'app/manage.py': { data: 'print(1)\n', mode: 0o755 },
    [`app/${'deep/'.repeat(30)}long-name.py`]: 'x = 1\n',
    'app/logo.png': Buffer.from([0x89, 0x50, 0, 1, 2, 255]),
    'app/link.py': { data: '', symlinkTarget: 'manage.py' },
  });

  it.each(['tar.gz', 'zip'] as const)('%s round-trips bytes, modes, long names and in-tree links', (kind) => {
    const buf = writeArchive(tree, kind);
    expect(sniffArchive(buf)).toBe(kind);
    const back = readArchive(buf, DEFAULT_LIMITS);
    expect([...back.keys()].sort()).toEqual([...tree.keys()].sort());
    for (const [p, f] of tree) {
      expect(back.get(p)!.data.equals(f.data)).toBe(true);
      expect(back.get(p)!.symlinkTarget).toBe(f.symlinkTarget);
      if (f.symlinkTarget === undefined) expect(back.get(p)!.mode).toBe(f.mode);
    }
  });

  it('normalises harmless entry names and refuses dangerous ones', () => {
    expect(safeEntryPath('./app//x.py')).toBe('app/x.py');
    expect(() => safeEntryPath('a/../../x')).toThrow(/has a "\.\." segment/);
    expect(() => safeEntryPath('C:/x')).toThrow(/absolute path/);
  });
});
