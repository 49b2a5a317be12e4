import { DomainError, ErrorCode } from '../../common/domain-error';
import { compareVersions, parseRequirements, pinnedVersion } from './requirements';
import { decodeText } from './text-codec';
import { FileTree, Layout } from './types';

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

const moduleFile = (tree: FileTree, root: string, dotted: string): string | undefined => {
  const base = join(root, dotted.split('.').join('/'));
  if (tree.has(`${base}.py`)) return `${base}.py`;
  if (tree.has(`${base}/__init__.py`)) return `${base}/__init__.py`;
  return undefined;
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
    };
  }

  // Plain Django: the settings module named by manage.py (or wsgi.py), else a single settings module with INSTALLED_APPS.
  for (const entry of ['manage.py', 'wsgi.py']) {
    const text = readText(tree, join(root, entry));
    const m = text && /DJANGO_SETTINGS_MODULE['"]\s*(?:,|\]\s*=)\s*['"]([A-Za-z_][\w.]*)['"]/.exec(text);
    if (!m) continue;
    const file = moduleFile(tree, root, m[1]);
    if (!file) {
      throw new DomainError(ErrorCode.Unsupported, `Django app: ${join(root, entry)} names settings module "${m[1]}", which is not in the tree.`, {
        layout: 'django',
      });
    }
    return {
      kind: 'django',
      description: `Django app (settings module ${m[1]} → ${file}${file.endsWith('__init__.py') ? ', a package' : ''})`,
      root,
      requirementsFile,
      targetFile: file,
      ...patchModuleFor(root, m[1], file),
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
