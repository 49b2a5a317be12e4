import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileTree, MigrationReport } from '../../src/legacy-migration/core/types';
import { summaryLines } from '../../src/legacy-migration/report-json';
import { probeTool, toolCommand, underCi } from '../harness/prerequisites';

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
    ...summaryLines(report).map((l) => `# ${l}`),
    report.diff,
  ].join('\n');
}

/**
 * The python3 command (SVC_SENTRY_TEST_TOOL_PYTHON3 or python3 on PATH), if it runs: `undefined` otherwise, and the
 * caller shows a visibly skipped test. Under CI=true a missing python3 throws while the suite loads, which Jest
 * and the summary line count as a failed suite.
 */
export function python3(): string | undefined {
  const missing = probeTool('python3', PYTHON3_INSTALL);
  if (!missing) return toolCommand('python3');
  if (underCi()) throw new Error(`python3 is required under CI=true (py_compile and the real run need it): ${missing}`);
  return undefined;
}

export const PYTHON3_INSTALL = 'apt-get install -y python3 python3-venv';

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
  const r = spawnSync(toolCommand('python3'), ['-m', 'py_compile', ...files], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONPYCACHEPREFIX: join(dir, '.pyc') },
  });
  return r.status === 0 ? '' : `${r.stderr}${r.stdout}`;
}
