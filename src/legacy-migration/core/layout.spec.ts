import { treeFrom } from './migrate';
import { detectLayout, findAppRoot } from './layout';

describe('detectLayout', () => {
  it('finds the app inside a single wrapping folder', () => {
    const tree = treeFrom({ 'myapp-1.0/app.py': 'from flask import Flask\napplication = Flask(__name__)\n', 'myapp-1.0/README': '' });
    expect(findAppRoot(tree)).toBe('myapp-1.0');
    expect(detectLayout(tree)).toMatchObject({
      kind: 'flask',
      root: 'myapp-1.0',
      targetFile: 'myapp-1.0/app.py',
      flaskAppVar: 'application',
      requirementsFile: 'myapp-1.0/requirements.txt',
    });
  });

  it('tells BlueKing legacy from plain Django and blueapps', () => {
    expect(detectLayout(treeFrom({ 'settings.py': 'from conf.default import *\n', 'conf/default.py': '' })).kind).toBe('bk-legacy-django');
    expect(detectLayout(treeFrom({ 'settings.py': 'INSTALLED_APPS = []\n', 'conf/default.py': '' })).kind).toBe('django');
    expect(detectLayout(treeFrom({ 'requirements.txt': 'blueapps==1.0.2\n', 'config/default.py': '' }))).toMatchObject({
      kind: 'blueapps',
      blueappsVersion: '1.0.2',
    });
  });

  it('reads the settings module from setdefault(...) or an assignment, file or package', () => {
    const assign = treeFrom({ 'manage.py': 'os.environ["DJANGO_SETTINGS_MODULE"] = "site.settings"\n', 'site/settings/__init__.py': 'INSTALLED_APPS = []\n' });
    expect(detectLayout(assign)).toMatchObject({
      kind: 'django',
      targetFile: 'site/settings/__init__.py',
      patchModuleName: 'site.settings.settings_patch',
      patchModuleFile: 'site/settings/settings_patch.py',
    });
    const setdefault = treeFrom({ 'manage.py': "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site.settings')\n", 'site/settings.py': '' });
    expect(detectLayout(setdefault)).toMatchObject({
      targetFile: 'site/settings.py',
      patchModuleName: 'site.settings_patch',
      patchModuleFile: 'site/settings_patch.py',
    });
  });

  it('refuses blueapps without a version pin and names the file', () => {
    expect(() => detectLayout(treeFrom({ 'requirements.txt': 'blueapps\n', 'config/default.py': '' }))).toThrow(/does not pin blueapps==<version>/);
  });

  it('refuses a manage.py naming a settings module that is missing', () => {
    expect(() => detectLayout(treeFrom({ 'manage.py': 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")\n' }))).toThrow(
      /names settings module "site.settings", which is not in the tree/,
    );
  });

  it('refuses an unknown layout', () => {
    expect(() => detectLayout(treeFrom({ 'main.go': 'package main\n' }))).toThrow(/Unknown app layout/);
  });
});
