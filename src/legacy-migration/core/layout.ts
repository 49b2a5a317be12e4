import { DomainError, ErrorCode } from '../../common/domain-error';
import { compareVersions, parseRequirements, pinnedVersion } from './requirements';
import { assignsInstalledApps, detectDjangoVersion, findSettingsEntries, importClosure, moduleFile as moduleFileOf, moduleName } from './settings-graph';
import { decodeText } from './text-codec';
import { FileTree, Layout, SettingsEntry } from './types';

/** The first blueapps release whose templates already carry the Sentry configuration (BlueKing docs). */
export const BLUEAPPS_CONFIGURED_SINCE = '1.0.17';

const join = (root: string, p: string) => (root ? `${root}/${p}` : p);

/** Text of a tree file, or undefined when absent, binary, a symlink or undecodable. */
export function readText(tree: FileTree, path: string): string | undefined {
  const f = tree.get(path);
  if (!f || f.symlinkTarget !== undefined) return undefined;
  const d = decodeText(f.data);
  return d.kind === 'text' ? d.text : undefined;
}

const MARKERS = ['requirements.txt', 'manage.py', 'settings.py', 'app.py', 'wsgi.py', 'conf/default.py', 'config/default.py'];

/** Archives often wrap the app in one folder: descend through single-folder levels until an app marker shows up. */
export function findAppRoot(tree: FileTree): string {
  let root = '';
  for (let depth = 0; depth < 4; depth++) {
    if (MARKERS.some((m) => tree.has(join(root, m)))) return root;
    const prefix = root ? `${root}/` : '';
    const firsts = new Set<string>();
    for (const p of tree.keys()) if (p.startsWith(prefix)) firsts.add(p.slice(prefix.length).split('/')[0]);
    const [only] = [...firsts];
    if (firsts.size !== 1 || tree.has(`${prefix}${only}`)) return root;
    root = prefix + only;
  }
  return root;
}

const moduleFile = moduleFileOf;

/**
 * Which files get the import block so that every settings module the app can start with loads the patch: their common
 * base (the shared module defining INSTALLED_APPS, e.g. base.py/common.py) when no module after it reassigns
 * INSTALLED_APPS, else each settings module itself.
 */
export function chooseTargets(tree: FileTree, root: string, entries: SettingsEntry[]): string[] {
  const files = [...new Set(entries.map((e) => e.file))];
  if (files.length <= 1) return files;
  const closures = files.map((f) => importClosure(tree, root, f));
  const common = closures[0].filter((f) => !files.includes(f) && closures.every((c) => c.includes(f)));
  for (const base of common.filter((f) => assignsInstalledApps(tree, f))) {
    const underBase = new Set(importClosure(tree, root, base));
    const overridden = closures.some((c) => c.some((f) => !underBase.has(f) && assignsInstalledApps(tree, f)));
    if (!overridden) return [base];
  }
  return files;
}

/** Marks of a BlueKing PaaS 2.0 app that has no conf/default.py: the 2.0 settings.py + config/ pair, app.yml, a blueking/ package. */
function paas2Marks(tree: FileTree, root: string, rootSettings: string | undefined): string[] {
  const marks: string[] = [];
  if (
    rootSettings !== undefined &&
    tree.has(join(root, 'config/__init__.py')) &&
    /^\s*(from\s+config(\.\w+)*\s+import|import\s+config\b)/m.test(rootSettings)
  ) {
    marks.push('settings.py importing from config/ (PaaS 2.0 template)');
  }
  if (tree.has(join(root, 'app.yml'))) marks.push('app.yml (PaaS 2.0 app description)');
  if (tree.has(join(root, 'blueking/__init__.py'))) marks.push('blueking/ package (PaaS 2.0 component SDK)');
  return marks;
}

const djangoExtras = (
  tree: FileTree,
  root: string,
  entries: SettingsEntry[],
  targets: string[],
  reqs: ReturnType<typeof parseRequirements>,
  requirementsFile: string,
) => {
  const djangoVersion = detectDjangoVersion(tree, root, reqs, requirementsFile);
  return { targetFiles: targets, settingsModules: entries, ...(djangoVersion ? { djangoVersion } : {}) };
};

/** Where the patch module goes for a Django settings module: a sibling `settings_patch` in the same package. */
function patchModuleFor(root: string, settingsModule: string, settingsFile: string) {
  const isPackage = settingsFile.endsWith('/__init__.py');
  const parts = settingsModule.split('.');
  const pkg = isPackage ? parts : parts.slice(0, -1);
  const name = [...pkg, 'settings_patch'].join('.');
  return { patchModuleName: name, patchModuleFile: join(root, `${name.split('.').join('/')}.py`) };
}

const SKIP_DIR = /(^|\/)(\.git|\.venv|venv|env|site-packages|node_modules|__pycache__|tests?|static|migrations)\//;

/** Recognise the app layout, or refuse with a message that says what was looked for. */
export function detectLayout(tree: FileTree): Layout {
  const root = findAppRoot(tree);
  const requirementsFile = join(root, 'requirements.txt');
  const reqs = parseRequirements(readText(tree, requirementsFile) ?? '');
  const rootSettings = readText(tree, join(root, 'settings.py'));

  // A vendored blueapps/ (the SaaS carries its own copy of the framework; version in blueapps/__init__.py).
  const vendored = readText(tree, join(root, 'blueapps/__init__.py'));
  if (vendored !== undefined && tree.has(join(root, 'config/default.py'))) {
    const version = /^__version__\s*=\s*['"]([^'"]+)['"]/m.exec(vendored)?.[1] ?? 'unknown';
    const entries = findSettingsEntries(tree, root);
    if (entries.length === 0 && rootSettings !== undefined) entries.push({ module: 'settings', file: join(root, 'settings.py'), foundIn: [] });
    const base = join(root, 'config/default.py');
    // config/<env>.py modules that replace INSTALLED_APPS outright would drop the base's patch: wire them too.
    const overriding = [...tree.keys()]
      .filter((p) => p.startsWith(join(root, 'config/')) && /^[^/]+\.py$/.test(p.slice(join(root, 'config/').length)) && p !== base)
      .filter((p) => assignsInstalledApps(tree, p))
      .sort();
    return {
      kind: 'blueapps-vendored',
      description: `blueapps ${version} vendored in the app (blueapps/__init__.py; settings load config/default.py)`,
      root,
      requirementsFile,
      targetFile: base,
      patchModuleFile: join(root, 'config/settings_patch.py'),
      patchModuleName: 'config.settings_patch',
      blueappsVersion: version,
      ...djangoExtras(tree, root, entries, [base, ...overriding], reqs, requirementsFile),
    };
  }

  // blueapps: config/default.py, and blueapps in the requirements or the settings.
  if (tree.has(join(root, 'config/default.py')) && (reqs.some((r) => r.key === 'blueapps') || /blueapps/.test(rootSettings ?? ''))) {
    const version = pinnedVersion(reqs, 'blueapps');
    if (!version) {
      throw new DomainError(
        ErrorCode.Unsupported,
        `blueapps layout found (${join(root, 'config/default.py')}) but ${requirementsFile} does not pin blueapps==<version>; ` +
          `the patch depends on it (>= ${BLUEAPPS_CONFIGURED_SINCE} is already configured, <= 1.0.16 needs the patch).`,
        { layout: 'blueapps' },
      );
    }
    return {
      kind: 'blueapps',
      description: `blueapps ${version} app (config/default.py; blueapps ${compareVersions(version, BLUEAPPS_CONFIGURED_SINCE) >= 0 ? `>= ${BLUEAPPS_CONFIGURED_SINCE}` : '<= 1.0.16'})`,
      root,
      requirementsFile,
      targetFile: join(root, 'config/default.py'),
      patchModuleFile: join(root, 'config/settings_patch.py'),
      patchModuleName: 'config.settings_patch',
      blueappsVersion: version,
      ...djangoExtras(tree, root, findSettingsEntries(tree, root), [join(root, 'config/default.py')], reqs, requirementsFile),
    };
  }

  // BlueKing 2.0 legacy Django: conf/default.py and a root settings.py importing from conf.
  if (tree.has(join(root, 'conf/default.py')) && rootSettings !== undefined && /^\s*(from\s+conf(\.\w+)*\s+import|import\s+conf\b)/m.test(rootSettings)) {
    return {
      kind: 'bk-legacy-django',
      description: 'BlueKing PaaS 2.0 legacy Django app (conf/default.py, settings.py importing from conf)',
      root,
      requirementsFile,
      targetFile: join(root, 'settings.py'),
      patchModuleFile: join(root, 'conf/settings_patch.py'),
      patchModuleName: 'conf.settings_patch',
      ...djangoExtras(
        tree,
        root,
        (() => {
          const e = findSettingsEntries(tree, root);
          return e.length ? e : [{ module: 'settings', file: join(root, 'settings.py'), foundIn: [] }];
        })(),
        [join(root, 'settings.py')],
        reqs,
        requirementsFile,
      ),
    };
  }

  // Django: every settings module the app can be started with (manage.py, wsgi/asgi, Dockerfile, Procfile, app
  // descriptions, env files, gunicorn), wired through their common base or each of them.
  const marks = paas2Marks(tree, root, rootSettings);
  const entries = findSettingsEntries(tree, root);
  for (const entry of ['manage.py', 'wsgi.py']) {
    const text = readText(tree, join(root, entry));
    const m = text && /DJANGO_SETTINGS_MODULE['"]\s*(?:,|\]\s*=)\s*['"]([A-Za-z_][\w.]*)['"]/.exec(text);
    if (m && !moduleFile(tree, root, m[1])) {
      throw new DomainError(ErrorCode.Unsupported, `Django app: ${join(root, entry)} names settings module "${m[1]}", which is not in the tree.`, {
        layout: 'django',
      });
    }
  }
  if (entries.length === 0 && marks.length && rootSettings !== undefined) entries.push({ module: 'settings', file: join(root, 'settings.py'), foundIn: [] });
  if (entries.length) {
    const targets = chooseTargets(tree, root, entries);
    const first = targets[0];
    const firstModule = moduleName(root, first);
    const names = entries.map((e) => e.module).join(', ');
    const wiring = targets.length === 1 && !entries.some((e) => e.file === first) ? `their common base ${first}` : targets.join(', ');
    return {
      kind: marks.length ? 'bk-legacy-django' : 'django',
      description: marks.length
        ? `BlueKing PaaS 2.0 Django app (${marks.join('; ')}; settings ${names} → ${wiring})`
        : `Django app (settings module${entries.length > 1 ? 's' : ''} ${names} → ${wiring}${first.endsWith('__init__.py') ? ', a package' : ''})`,
      root,
      requirementsFile,
      targetFile: first,
      ...patchModuleFor(root, firstModule, first),
      ...djangoExtras(tree, root, entries, targets, reqs, requirementsFile),
    };
  }

  const pyFiles = [...tree.keys()].filter((p) => p.endsWith('.py') && (!root || p.startsWith(`${root}/`)) && !SKIP_DIR.test(p)).sort();
  const settingsCandidates = pyFiles.filter((p) => /(^|\/)settings(\.py|\/__init__\.py)$/.test(p) && /^INSTALLED_APPS\s*[+]?=/m.test(readText(tree, p) ?? ''));
  if (settingsCandidates.length === 1) {
    const file = settingsCandidates[0];
    const rel = root ? file.slice(root.length + 1) : file;
    const dotted = rel
      .replace(/\/__init__\.py$|\.py$/, '')
      .split('/')
      .join('.');
    return {
      kind: 'django',
      description: `Django app (settings module ${dotted} → ${file})`,
      root,
      requirementsFile,
      targetFile: file,
      ...patchModuleFor(root, dotted, file),
      ...djangoExtras(tree, root, [{ module: dotted, file, foundIn: [] }], [file], reqs, requirementsFile),
    };
  }

  // Flask: a module creating the app at top level, else an application factory.
  let factory: string | undefined;
  for (const p of pyFiles) {
    const text = readText(tree, p);
    if (!text || !/\bFlask\b/.test(text)) continue;
    const app = /^([A-Za-z_]\w*)\s*=\s*Flask\(/m.exec(text);
    if (app) {
      return {
        kind: 'flask',
        description: `Flask app module (${p}: ${app[1]} = Flask(...))`,
        root,
        requirementsFile,
        targetFile: p,
        flaskStyle: 'app-module',
        flaskAppVar: app[1],
      };
    }
    if (!factory && /^def\s+create_app\s*\(/m.test(text)) factory = p;
  }
  if (factory) {
    return {
      kind: 'flask',
      description: `Flask application factory (${factory}: def create_app(...))`,
      root,
      requirementsFile,
      targetFile: factory,
      flaskStyle: 'factory',
    };
  }

  throw new DomainError(
    ErrorCode.Unsupported,
    'Unknown app layout: found no BlueKing 2.0 Django app (conf/default.py + settings.py), no blueapps app (config/default.py), ' +
      'no Django settings (manage.py DJANGO_SETTINGS_MODULE or settings.py with INSTALLED_APPS) and no Flask app (X = Flask(...) or def create_app). Nothing was changed.',
    { layout: 'unknown', files: tree.size },
  );
}
