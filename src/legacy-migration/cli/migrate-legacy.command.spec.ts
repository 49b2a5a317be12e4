import { Command } from 'commander';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArchive } from '../io/archive';
import { readArchive } from '../io/archive';
import { DEFAULT_LIMITS } from '../io/limits';
import { readDirTree } from '../io/read-dir';
import { registerMigrateLegacy } from './migrate-legacy.command';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'legacy', 'fixtures');

function cli(args: string[]): { out: string; err: string; code: number } {
  let out = '';
  let err = '';
  const program = new Command('svc-sentry').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerMigrateLegacy(program, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  process.exitCode = undefined;
  try {
    program.parse(['node', 'svc-sentry', 'migrate-legacy', ...args]);
  } catch (e) {
    return { out, err, code: e.exitCode ?? 1 };
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { out, err, code };
}

describe('svc-sentry migrate-legacy', () => {
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), 'legacy-cli-'))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));
  const copy = (name: string, to = name) => {
    cpSync(join(FIXTURES, name), join(work, to), { recursive: true });
    return join(work, to);
  };

  it('--dry-run prints the layout and the diff and writes nothing', () => {
    const dir = copy('bk-legacy-django');
    const before = readFileSync(join(dir, 'settings.py'));
    const r = cli([dir, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Layout: bk-legacy-django — BlueKing PaaS 2\.0 legacy Django app/);
    expect(r.out).toContain('+from conf.settings_patch import *');
    expect(r.out).toContain('Dry run: nothing was written.');
    expect(readFileSync(join(dir, 'settings.py')).equals(before)).toBe(true);
    expect(existsSync(join(dir, 'conf', 'settings_patch.py'))).toBe(false);
  });

  it('patches in place, is idempotent, and --revert restores the tree (--json)', () => {
    const dir = copy('django-settings-package');
    const original = readDirTree(dir);
    const first = JSON.parse(cli([dir, '--sdk', 'sentry-sdk', '--json']).out);
    expect(first).toMatchObject({ status: 'patched', written: true, sdk: 'sentry-sdk', layout: { kind: 'django' } });
    expect(JSON.parse(cli([dir, '--sdk', 'sentry-sdk', '--json']).out)).toMatchObject({ status: 'already-patched', edits: [], written: false });
    expect(JSON.parse(cli([dir, '--revert', '--json']).out)).toMatchObject({ status: 'reverted', action: 'revert' });
    const after = readDirTree(dir);
    expect([...after.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [p, f] of original) expect(after.get(p)!.data.equals(f.data)).toBe(true);
  });

  it('keeps the mode of an edited executable file on disk', () => {
    const dir = copy('flask-factory');
    expect(statSync(join(dir, 'web', '__init__.py')).mode & 0o777).toBe(0o755);
    expect(cli([dir, '--sdk', 'sentry-sdk']).code).toBe(0);
    expect(readFileSync(join(dir, 'web', '__init__.py'), 'utf8')).toContain('_paas_sentry_sdk.init(');
    expect(statSync(join(dir, 'web', '__init__.py')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'requirements.txt')).mode & 0o777).toBe(0o644);
  });

  it('writes a patched archive next to an archive target, never over it', () => {
    const input = join(work, 'app.tar.gz');
    writeFileSync(input, writeArchive(readDirTree(join(FIXTURES, 'flask-app')), 'tar.gz'));
    const r = cli([input, '--sdk', 'sentry-sdk']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Patched archive: ${join(work, 'app.patched.tar.gz')}`);
    const patched = readArchive(readFileSync(join(work, 'app.patched.tar.gz')), DEFAULT_LIMITS);
    expect(patched.get('app.py')!.data.toString()).toContain('FlaskIntegration');
    expect(cli([input, '--sdk', 'sentry-sdk']).code).toBe(2); // output exists: refused, not overwritten
  });

  it('exits 2 with a clear message on refusal', () => {
    const r = cli([copy('unknown-node-app')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^svc-sentry migrate-legacy: refused \(Unsupported\): Unknown app layout/);
  });

  it('--batch patches every app and prints a summary table', () => {
    const apps = join(work, 'apps');
    for (const n of ['bk-legacy-django', 'flask-app', 'unknown-node-app', 'blueapps-1.0.17']) copy(n, join('apps', n));
    writeFileSync(join(apps, 'zipped.zip'), writeArchive(readDirTree(join(FIXTURES, 'django-app')), 'zip'));
    const r = cli(['--batch', apps, '--sdk', 'raven']);
    expect(r.code).toBe(2); // one app refused
    const rows = r.out.split('\n');
    expect(rows[0]).toMatch(/^app\s+layout\s+status\s+edits\s+conflicts\s+message$/);
    expect(r.out).toMatch(/bk-legacy-django\s+bk-legacy-django\s+patched\s+3\s+0/);
    expect(r.out).toMatch(/blueapps-1\.0\.17\s+blueapps\s+nothing-to-do\s+0/);
    expect(r.out).toMatch(/unknown-node-app\s+unknown\s+refused\s+0\s+0\s+Unknown app layout/);
    expect(r.out).toMatch(/zipped\.zip\s+django\s+patched\s+2/);
    expect(r.out).toMatch(/^5 app\(s\): 3 patched, 1 nothing-to-do, 1 refused$/m);
    expect(existsSync(join(apps, 'zipped.patched.zip'))).toBe(true);
  });

  it('--batch --dry-run says "would patch" in the table and the totals, and writes nothing', () => {
    const apps = join(work, 'apps');
    for (const n of ['bk-legacy-django', 'flask-app', 'blueapps-1.0.17']) copy(n, join('apps', n));
    const before = readFileSync(join(apps, 'bk-legacy-django', 'settings.py'));
    const r = cli(['--batch', apps, '--sdk', 'raven', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/bk-legacy-django\s+bk-legacy-django\s+would patch\s+3\s+0/);
    expect(r.out).toMatch(/blueapps-1\.0\.17\s+blueapps\s+nothing-to-do\s+0/);
    expect(r.out).not.toMatch(/\bpatched\b/);
    expect(r.out).toMatch(/^3 app\(s\): 2 would patch, 1 nothing-to-do$/m);
    expect(r.out).toMatch(/^Dry run: nothing was written\.$/m);
    expect(readFileSync(join(apps, 'bk-legacy-django', 'settings.py'))).toEqual(before);
  });

  it('needs exactly one of <target> and --batch', () => {
    expect(cli([]).code).toBe(2);
    expect(cli(['x', '--batch', 'y']).code).toBe(2);
  });
});
