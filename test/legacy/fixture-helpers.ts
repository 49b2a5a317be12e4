import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileTree, MigrationReport } from '../../src/legacy-migration/core/types';

export const FIXTURES = join(__dirname, 'fixtures');
export const GOLDEN = join(__dirname, 'golden');

/** Golden text for one run: what was found, what happened, then the diff. */
export function goldenText(report: MigrationReport): string {
  return [
    `# layout: ${report.layout.kind} — ${report.layout.description}`,
    `# status: ${report.status}`,
    ...report.edits.map((e) => `# edit: ${e.action} ${e.path} [${e.encoding}, ${e.eol}, ${e.mode.toString(8)}] ${e.summary}`),
    ...report.conflicts.map((c) => `# conflict: ${c}`),
    ...report.notes.map((n) => `# note: ${n}`),
    report.diff,
  ].join('\n');
}

/** python3, if present: `undefined` plus a reason otherwise (under CI=true a missing python3 is an error). */
export function python3(): string | undefined {
  const r = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return 'python3';
  if (process.env.CI === 'true') throw new Error('python3 is required under CI=true (py_compile and the real run need it)');
  return undefined;
}

/** py_compile every .py file of the tree (written to a temp dir); returns stderr or '' when all compile. */
export function pyCompileAll(tree: FileTree, paths: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'legacy-pyc-'));
  const files: string[] = [];
  for (const p of paths) {
    const f = tree.get(p);
    if (!f || !p.endsWith('.py')) continue;
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), f.data);
    files.push(join(dir, p));
  }
  if (files.length === 0) return '';
  const r = spawnSync('python3', ['-m', 'py_compile', ...files], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPYCACHEPREFIX: join(dir, '.pyc') },
  });
  return r.status === 0 ? '' : `${r.stderr}${r.stdout}`;
}
