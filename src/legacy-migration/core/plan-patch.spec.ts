import { DomainError } from '../../common/domain-error';
import { applyEdits, migrate, treeFrom } from './migrate';
import { BLOCK_BEGIN } from './types';

const bk = (extra: Record<string, string> = {}) =>
  treeFrom({
    'requirements.txt': 'Django==1.8.3\n',
    'settings.py': 'from conf.default import *  # noqa\n',
    'conf/__init__.py': '',
    'conf/default.py': "INSTALLED_APPS = ('django.contrib.auth',)\n",
    ...extra,
  });

describe('planPatch', () => {
  it('does nothing when the settings Django loads already configure raven (INSTALLED_APPS + RAVEN_CONFIG with a dsn)', () => {
    const tree = bk({
      'conf/default.py': "import os\nINSTALLED_APPS = ('raven.contrib.django.raven_compat',)\nRAVEN_CONFIG = {'dsn': os.environ.get('SENTRY_DSN')}\n",
    });
    const report = migrate(tree, { sdk: 'raven' });
    expect(report).toMatchObject({ status: 'nothing-to-do', edits: [] });
    expect(report.notes[0]).toMatch(/already configure raven \(conf\/default\.py lists raven in INSTALLED_APPS and conf\/default\.py sets RAVEN_CONFIG/);
  });

  it('patches when raven is only listed (no RAVEN_CONFIG) or only mentioned outside the loaded settings (issue 12 item 1)', () => {
    expect(migrate(bk({ 'conf/default.py': "INSTALLED_APPS = ('raven.contrib.django.raven_compat',)\n" }), { sdk: 'raven' }).status).toBe('patched');
    const middleware =
      'try:\n    from raven.contrib.django.raven_compat.middleware import SentryMiddleware\nexcept ImportError:\n    SentryMiddleware = None\n';
    expect(migrate(bk({ 'lib/middleware.py': middleware }), { sdk: 'raven' }).status).toBe('patched');
  });

  it('does nothing when the app already calls sentry_sdk.init (sentry-sdk mode)', () => {
    const tree = treeFrom({ 'app.py': 'import sentry_sdk\nsentry_sdk.init()\nfrom flask import Flask\napp = Flask(__name__)\n' });
    expect(migrate(tree, { sdk: 'sentry-sdk' }).status).toBe('nothing-to-do');
  });

  it('--revert reports the SDK the removed blocks were written for, not the default (issue 12 item 6)', () => {
    const patched = applyEdits(bk(), migrate(bk(), { sdk: 'sentry-sdk' }).edits);
    const reverted = migrate(patched, { sdk: 'raven', revert: true });
    expect(reverted).toMatchObject({ status: 'reverted', sdk: 'sentry-sdk', summary: { sdk: { chosen: 'sentry-sdk' } } });
  });

  it('the raven settings patch keeps a blank line before END (as BlueKing documents it)', () => {
    const created = migrate(bk(), { sdk: 'raven' }).edits.find((e) => e.path === 'conf/settings_patch.py')!;
    expect(created.after!.toString()).toMatch(/RAVEN_CONFIG = \{'dsn': SENTRY_DSN\}\n\n# WARNING: CODE BLOCK FOR PAAS 3\.0 ADAPTATION END\n$/);
  });

  it("keeps the app's own PyMySQL pin and says so in the summary", () => {
    const report = migrate(bk({ 'requirements.txt': 'Django==1.8.3\nPyMySQL==0.7.11\n' }), { sdk: 'raven' });
    expect(report.summary.pins.kept).toEqual(['PyMySQL==0.7.11 (requirements.txt:2)']);
    expect(report.summary.pins.added).toEqual(['gunicorn==19.6.0', 'python-json-logger==0.1.7', 'raven==6.1.0']);
  });

  it('refuses to switch SDK on a patched tree until it is reverted', () => {
    const patched = applyEdits(bk(), migrate(bk(), { sdk: 'raven' }).edits);
    expect(() => migrate(patched, { sdk: 'sentry-sdk' })).toThrow(DomainError);
    expect(() => migrate(patched, { sdk: 'sentry-sdk' })).toThrow(/already patched for raven; run with --revert first/);
    const reverted = applyEdits(patched, migrate(patched, { sdk: 'raven', revert: true }).edits);
    expect(migrate(reverted, { sdk: 'sentry-sdk' }).status).toBe('patched');
  });

  it('appends to an existing settings_patch.py of the app, and revert keeps the file', () => {
    const own = '# app-owned\nINSTALLED_APPS_PATCH = []\n';
    const tree = bk({ 'conf/settings_patch.py': own });
    const report = migrate(tree, { sdk: 'raven' });
    const edit = report.edits.find((e) => e.path === 'conf/settings_patch.py')!;
    expect(edit.action).toBe('modify');
    expect(edit.after!.toString().startsWith(own + BLOCK_BEGIN)).toBe(true);
    const patched = applyEdits(tree, report.edits);
    const back = applyEdits(patched, migrate(patched, { sdk: 'raven', revert: true }).edits);
    expect(back.get('conf/settings_patch.py')!.data.toString()).toBe(own);
  });

  it('does not wire the settings a second time when they already import the patch module', () => {
    const tree = bk({ 'settings.py': 'from conf.default import *  # noqa\nfrom conf.settings_patch import *  # noqa\n' });
    const report = migrate(tree, { sdk: 'raven' });
    expect(report.edits.map((e) => e.path).sort()).toEqual(['conf/settings_patch.py', 'requirements.txt']);
    expect(report.notes).toContain('settings.py already imports conf.settings_patch; not wired a second time.');
  });

  it('refuses raven for a Flask application factory, pointing to sentry-sdk', () => {
    const tree = treeFrom({ 'web/__init__.py': 'from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n' });
    expect(() => migrate(tree, { sdk: 'raven' })).toThrow(/Use --sdk sentry-sdk for application factories/);
  });

  it('wraps a multi-line Flask(...) call after the statement ends (raven)', () => {
    const tree = treeFrom({ 'app.py': 'from flask import Flask\napp = Flask(\n    __name__,  # (\n    static_folder=")",\n)\nX = 1\n' });
    const text = applyEdits(tree, migrate(tree, { sdk: 'raven' }).edits)
      .get('app.py')!
      .data.toString();
    expect(text).toMatch(/static_folder="\)",\n\)\n# WARNING: CODE BLOCK FOR PAAS 3\.0 ADAPTATION BEGIN\n/);
    expect(text.endsWith('# WARNING: CODE BLOCK FOR PAAS 3.0 ADAPTATION END\nX = 1\n')).toBe(true);
  });

  it('looks into -r includes: a pin there is not added again, a differing one is reported with its file', () => {
    const tree = bk({
      'requirements.txt': '-r requirements/base.txt\nDjango==1.8.3\n',
      'requirements/base.txt': 'raven==5.0\n-r common.txt\n',
      'requirements/common.txt': 'gunicorn==19.6.0\n',
    });
    const report = migrate(tree, { sdk: 'raven' });
    const req = report.edits.find((e) => e.path === 'requirements.txt')!;
    expect(req.after!.toString()).toContain('pymysql==0.6.7\npython-json-logger==0.1.7\n');
    expect(req.after!.toString()).not.toMatch(/raven|gunicorn/);
    expect(report.conflicts).toEqual([expect.stringMatching(/^requirements\/base\.txt:1 has "raven==5\.0"/)]);
    expect(report.notes).toContain('requirements/common.txt:1 already pins gunicorn==19.6.0; not added again.');
  });

  it('revert on an unpatched tree changes nothing', () => {
    expect(migrate(bk(), { sdk: 'raven', revert: true })).toMatchObject({ status: 'not-patched', edits: [], diff: '' });
  });
});
