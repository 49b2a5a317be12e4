import { posix } from 'node:path';
import { outsideBlocks } from './blocks';
import { parseRequirements, Requirement } from './requirements';
import { decodeText } from './text-codec';
import { FileTree, SdkMode, SettingsEntry } from './types';

/**
 * What a Django app's settings really load: the modules the app can be started with (manage.py, wsgi/asgi, Dockerfile,
 * Procfile, app descriptions, env files, gunicorn commands) and the in-tree modules each of them imports.
 */

const join = (root: string, p: string) => (root ? `${root}/${p}` : p);

function text(tree: FileTree, path: string): string | undefined {
  const f = tree.get(path);
  if (!f || f.symlinkTarget !== undefined) return undefined;
  const d = decodeText(f.data);
  return d.kind === 'text' ? d.text : undefined;
}

/** The file of a dotted module inside the app root (module.py or package/__init__.py). */
export function moduleFile(tree: FileTree, root: string, dotted: string): string | undefined {
  if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(dotted)) return undefined;
  const base = join(root, dotted.split('.').join('/'));
  if (tree.has(`${base}.py`)) return `${base}.py`;
  if (tree.has(`${base}/__init__.py`)) return `${base}/__init__.py`;
  return undefined;
}

/** Dotted module name of a file under the root. */
export function moduleName(root: string, file: string): string {
  const rel = root ? file.slice(root.length + 1) : file;
  return rel
    .replace(/\/__init__\.py$|\.py$/, '')
    .split('/')
    .join('.');
}

/** Python source without comments and string contents (keeps line structure; good enough for import scanning). */
function codeOnly(src: string): string {
  return src
    .replace(/("""|''')[\s\S]*?\1/g, (m) => m.replace(/[^\n]/g, ' '))
    .split('\n')
    .map((l) => l.replace(/#.*$/, ''))
    .join('\n');
}

/** Files an app's start-up configuration lives in (besides Python entry modules). */
const LAUNCH_FILE =
  /(^|\/)(Dockerfile[^/]*|Procfile[^/]*|app\.ya?ml|app_desc\.ya?ml|docker-compose[^/]*\.ya?ml|[^/]*\.env|\.env[^/]*|env|[^/]*\.sh|gunicorn[^/]*\.(py|conf)|supervisord?[^/]*\.conf|uwsgi[^/]*\.ini|tox\.ini|setup\.cfg|pytest\.ini|runtime\.txt)$/;
const ENTRY_PY = /(^|\/)(manage|wsgi|asgi|gunicorn[^/]*|celery)\.py$/;
const SKIP = /(^|\/)(\.git|node_modules|__pycache__|site-packages|venv|\.venv|blueapps|django)\//;

const SETTINGS_VALUE = String.raw`['"]?([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)(?![\w.$\{])`;
const PATTERNS = [
  // DJANGO_SETTINGS_MODULE=x, "DJANGO_SETTINGS_MODULE": "x", setdefault("DJANGO_SETTINGS_MODULE", "x"), ENV DJANGO_SETTINGS_MODULE x
  new RegExp(String.raw`DJANGO_SETTINGS_MODULE['"]?(?:\s*\]\s*=|\s*[=:,]|[ \t]+)\s*` + SETTINGS_VALUE, 'g'),
  // YAML lists: - name|key: DJANGO_SETTINGS_MODULE \n value: x
  new RegExp(String.raw`(?:name|key)\s*:\s*['"]?DJANGO_SETTINGS_MODULE['"]?\s*\n\s*value\s*:\s*` + SETTINGS_VALUE, 'g'),
  // manage.py ... --settings=x / --settings x
  new RegExp(String.raw`--settings(?:=|\s+)` + SETTINGS_VALUE, 'g'),
];

/** Every settings module the app can be started with, with the files that name it (in-tree modules only). */
export function findSettingsEntries(tree: FileTree, root: string): SettingsEntry[] {
  const prefix = root ? `${root}/` : '';
  const candidates = [...tree.keys()]
    .filter((p) => p.startsWith(prefix) && !SKIP.test(p.slice(prefix.length)))
    .filter((p) => {
      const rel = p.slice(prefix.length);
      return rel.split('/').length <= 3 && (ENTRY_PY.test(rel) || LAUNCH_FILE.test(rel));
    })
    // manage.py first (the module developers run), then the rest in path order.
    .sort((a, b) => Number(!a.endsWith('manage.py')) - Number(!b.endsWith('manage.py')) || (a < b ? -1 : 1));
  const found = new Map<string, SettingsEntry>();
  for (const p of candidates) {
    const t = text(tree, p);
    if (!t || !/DJANGO_SETTINGS_MODULE|--settings/.test(t)) continue;
    for (const re of PATTERNS) {
      re.lastIndex = 0;
      for (let m = re.exec(t); m; m = re.exec(t)) {
        const file = moduleFile(tree, root, m[1]);
        if (!file) continue;
        const entry = found.get(m[1]) ?? { module: m[1], file, foundIn: [] };
        const where = p.slice(prefix.length);
        if (!entry.foundIn.includes(where)) entry.foundIn.push(where);
        found.set(m[1], entry);
      }
    }
  }
  return [...found.values()];
}

/** In-tree modules a module imports (absolute, relative, Python 2 implicit-relative; `__import__('pkg.{env}')` → every module of pkg). */
export function importsOf(tree: FileTree, root: string, file: string): string[] {
  const src = text(tree, file);
  if (src === undefined) return [];
  const code = codeOnly(src);
  const self = moduleName(root, file);
  const pkg = file.endsWith('/__init__.py') ? self : self.split('.').slice(0, -1).join('.');
  const out: string[] = [];
  const add = (dotted: string) => {
    const f = moduleFile(tree, root, dotted);
    if (f && f !== file && !out.includes(f)) out.push(f);
  };
  const resolve = (name: string): string[] => {
    const dots = /^\.*/.exec(name)![0].length;
    const rest = name.slice(dots);
    if (dots) {
      const base = pkg.split('.').slice(0, Math.max(0, pkg.split('.').length - (dots - 1)));
      return [[...base, ...(rest ? [rest] : [])].filter(Boolean).join('.')];
    }
    return [rest, pkg ? `${pkg}.${rest}` : rest]; // absolute, then Python 2's implicit relative import
  };
  for (const m of code.matchAll(/^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([^\n)]*)/gm)) {
    for (const mod of resolve(m[1])) {
      add(mod);
      // from pkg import mod_a, mod_b: submodules
      for (const name of m[2].split(',').map((s) => s.trim().split(/\s+/)[0])) if (/^\w+$/.test(name)) add(`${mod}.${name}`);
    }
  }
  for (const m of code.matchAll(/^[ \t]*import[ \t]+([\w., \t]+)/gm)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+/)[0];
      if (name) for (const mod of resolve(name)) add(mod);
    }
  }
  // Dynamic: __import__('config.{}'.format(env)) / importlib.import_module("settings.%s" % env) → the whole package.
  for (const m of src.matchAll(/(?:__import__|import_module)\(\s*(?:[\w.]+\s*[%+]\s*)?['"]([A-Za-z_][\w.]*)\.(?:\{[^}]*\}|%s)?['"]/g)) {
    const dir = join(root, m[1].split('.').join('/'));
    for (const p of [...tree.keys()].sort()) {
      if (posix.dirname(p) === dir && p.endsWith('.py') && !p.endsWith('/__init__.py')) add(moduleName(root, p));
    }
  }
  for (const m of src.matchAll(/^[ \t]*[A-Z_]+\s*=\s*['"]([A-Za-z_][\w]*)\.\{[^}]*\}['"]\.format\(/gm)) {
    const dir = join(root, m[1]);
    for (const p of [...tree.keys()].sort()) {
      if (posix.dirname(p) === dir && p.endsWith('.py') && !p.endsWith('/__init__.py')) add(moduleName(root, p));
    }
  }
  return out;
}

/** A module and every in-tree module it imports, depth first (the module itself first). */
export function importClosure(tree: FileTree, root: string, file: string): string[] {
  const seen: string[] = [];
  const visit = (f: string, depth: number) => {
    if (seen.includes(f) || depth > 12) return;
    seen.push(f);
    for (const g of importsOf(tree, root, f)) visit(g, depth + 1);
  };
  visit(file, 0);
  return seen;
}

/** The module assigns INSTALLED_APPS outright (`INSTALLED_APPS = …` at top level, not `+=`). */
export const assignsInstalledApps = (tree: FileTree, file: string) => /^INSTALLED_APPS\s*=(?!=)/m.test(codeOnly(text(tree, file) ?? ''));

/** Whether the settings Django loads (these files, outside our blocks) configure the SDK themselves. */
export function settingsConfigure(tree: FileTree, files: string[], sdk: SdkMode): string | undefined {
  for (const f of files) {
    const t = text(tree, f);
    if (t === undefined) continue;
    const code = codeOnly(outsideBlocks(t, f)).replace(/^[ \t]*(try|except)\b.*$/gm, '');
    if (sdk === 'sentry-sdk' && /\bsentry_sdk\.init\s*\(/.test(code)) return `${f} calls sentry_sdk.init()`;
  }
  if (sdk === 'raven') {
    // raven needs both: the app in INSTALLED_APPS and a DSN in RAVEN_CONFIG, in the settings Django loads.
    const all = files.map((f) => [f, codeOnly(outsideBlocks(text(tree, f) ?? '', f))] as const);
    const app = all.find(([, c]) => /['"]raven\.contrib\.django(\.raven_compat)?['"]/.test(c));
    const conf = all.find(([, c]) => /^\s*RAVEN_CONFIG\s*(=|\[)[^\n]*/m.test(c) && /RAVEN_CONFIG[\s\S]{0,400}['"]dsn['"]/.test(c));
    if (app && conf) return `${app[0]} lists raven in INSTALLED_APPS and ${conf[0]} sets RAVEN_CONFIG with a dsn`;
  }
  return undefined;
}

export interface DjangoVersion {
  version: string;
  source: string;
}

/** The Django version the app runs: requirements pin (== or lower bound), else a vendored django/__init__.py. */
export function detectDjangoVersion(tree: FileTree, root: string, reqs: Requirement[], requirementsFile: string): DjangoVersion | undefined {
  const all = [...reqs.map((r) => ({ ...r, file: r.file ?? requirementsFile }))];
  for (const p of [...tree.keys()].sort()) {
    if (/(^|\/)requirements[^/]*\.txt$/.test(p) && p !== requirementsFile && (!root || p.startsWith(`${root}/`))) {
      all.push(...parseRequirements(text(tree, p) ?? '').map((r) => ({ ...r, file: p })));
    }
  }
  const django = all.find((r) => r.key === 'django' && /(==|>=|~=|===)\s*\d/.test(r.spec));
  if (django) {
    const m = /(?:===?|>=|~=)\s*(\d+(?:\.\d+)*)/.exec(django.spec)!;
    return { version: m[1], source: `${django.file}: ${django.raw.trim()}` };
  }
  const vendored = join(root, 'django/__init__.py');
  const v = /^VERSION\s*=\s*\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/m.exec(text(tree, vendored) ?? '');
  if (v) return { version: `${v[1]}.${v[2]}.${v[3]}`, source: `vendored ${vendored} (VERSION)` };
  return undefined;
}
