import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../../src/common/domain-error';
import { applyEdits, migrate } from '../../src/legacy-migration/core/migrate';
import { SDK_MODES } from '../../src/legacy-migration/core/types';
import { readDirTree } from '../../src/legacy-migration/io/read-dir';
import { FIXTURES, GOLDEN, goldenText, pyCompileAll, python3 } from './fixture-helpers';

/**
 * Every fixture × SDK mode: the report and diff match the golden file (UPDATE_GOLDEN=1 rewrites them), a second
 * run changes nothing, revert gives back the original bytes and modes, and every Python file written compiles.
 */
const fixtures = readdirSync(FIXTURES)
  .filter((n) => !n.startsWith('.'))
  .sort();
const py = python3();

describe.each(fixtures)('fixture %s', (name) => {
  const tree = readDirTree(join(FIXTURES, name));

  it.each([...SDK_MODES])('%s mode: golden diff, idempotent, reversible, compiles', (sdk) => {
    const goldenFile = join(GOLDEN, `${name}.${sdk}.txt`);
    let report;
    try {
      report = migrate(tree, { sdk });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      const text = `# refused: ${e.code}: ${e.message}\n`;
      if (process.env.UPDATE_GOLDEN) writeFileSync(goldenFile, text);
      expect(text).toBe(readFileSync(goldenFile, 'utf8'));
      return;
    }
    const text = goldenText(report);
    if (process.env.UPDATE_GOLDEN) writeFileSync(goldenFile, text);
    expect(text).toBe(readFileSync(goldenFile, 'utf8'));

    const patched = applyEdits(tree, report.edits);
    for (const e of report.edits) {
      if (e.action === 'modify') expect(patched.get(e.path)!.mode).toBe(tree.get(e.path)!.mode);
    }

    const again = migrate(patched, { sdk });
    expect(again.edits).toEqual([]);
    expect(again.diff).toBe('');
    if (report.edits.length) expect(again.status).toBe('already-patched');

    const reverted = migrate(patched, { sdk, revert: true });
    const restored = applyEdits(patched, reverted.edits);
    expect([...restored.keys()].sort()).toEqual([...tree.keys()].sort());
    for (const [p, f] of tree) {
      expect({ p, data: restored.get(p)!.data.equals(f.data), mode: restored.get(p)!.mode }).toEqual({ p, data: true, mode: f.mode });
    }
    expect(migrate(restored, { sdk, revert: true }).edits).toEqual([]);

    if (py) {
      const written = report.edits.filter((e) => e.action !== 'delete').map((e) => e.path);
      expect(pyCompileAll(patched, written)).toBe('');
    }
  });
});

if (!py) {
  it.skip('py_compile of patched files: python3 not found on PATH (install Python 3 to run it)', () => undefined);
}
