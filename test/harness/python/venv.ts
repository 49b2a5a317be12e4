/**
 * Cached Python virtualenvs for tests: `python3 -m venv` + pip from PyPI, under the repo's git-ignored `.cache/`,
 * keyed by a hash of the requirement list and the interpreter version. A second run with the same list reuses it.
 *
 * Without python3 (or its venv module): under CI=true that is an error; elsewhere the caller gets
 * `{ available: false, reason }` saying what is missing, and skips.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { toolCommand } from '../prerequisites';

const run = promisify(execFile);

export type Venv =
  | {
      available: true;
      dir: string;
      python: string;
      reused: boolean;
      requirements: string[];
      /** Environment to run `python` with (Python 2: PYTHONPATH of the installed packages). */
      env: Record<string, string>;
      /** How long creating it took (0 when reused). */
      createdMs: number;
    }
  | { available: false; reason: string };

export interface VenvOptions {
  /** Where venvs live; default `<repo>/.cache/python-venvs`. */
  cacheDir?: string;
  /** Interpreter to build from; default `python3` (or SVC_SENTRY_TEST_TOOL_PYTHON3, see ../prerequisites.ts). */
  python?: string;
  /** How long pip may take (ms); default 15 minutes. */
  timeoutMs?: number;
}

/** The repository root: the nearest folder up from here with svc-sentry's package.json. */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'svc-sentry') return dir;
    if (dirname(dir) === dir) throw new Error(`no svc-sentry package.json above ${from}`);
  }
}

function missing(reason: string): Venv {
  if (process.env.CI === 'true') throw new Error(`${reason} (required under CI=true)`);
  return { available: false, reason };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Take a lock directory; a lock older than the pip timeout is considered stale. */
async function withLock<T>(lock: string, staleMs: number, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e?.code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > staleMs) rmdirSync(lock);
      } catch {
        /* raced with its owner */
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * A Python 2.7 interpreter: SVC_SENTRY_TEST_TOOL_PYTHON2_7, else `python2.7` on PATH, else pyenv's (`$PYENV_ROOT` or
 * ~/.pyenv, versions/2.7*; the `python2` shim is not used: it fails when no 2.x is selected). Missing: the reason (give
 * it to requirePrerequisite, which skips visibly outside CI and fails under CI=true).
 */
export function python27(): { python: string; reason?: undefined } | { python: undefined; reason: string } {
  const works = (cmd: string) => spawnSync(cmd, ['-c', 'import sys; print(sys.version_info[0])'], { encoding: 'utf8' }).stdout?.trim() === '2';
  const override = process.env.SVC_SENTRY_TEST_TOOL_PYTHON2_7;
  if (override)
    return works(override) ? { python: override } : { python: undefined, reason: `${override} (SVC_SENTRY_TEST_TOOL_PYTHON2_7) is not a working Python 2.7` };
  if (works('python2.7')) return { python: 'python2.7' };
  const versions = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions');
  const found = existsSync(versions)
    ? readdirSync(versions)
        .filter((v) => /^2\.7(\.\d+)?$/.test(v))
        .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
        .map((v) => join(versions, v, 'bin', 'python'))
        .find((p) => existsSync(p) && works(p))
    : undefined;
  if (found) return { python: found };
  return {
    python: undefined,
    reason: 'Python 2.7 not found (python2.7 on PATH or pyenv versions/2.7*): install it (e.g. pyenv install 2.7.18) to run the raven 6.1.0 / Django 1.8 tests',
  };
}

/**
 * Python 2.7 has no venv module: its packages are installed with its own pip into `<dir>/site-packages` (`--target`)
 * and used through PYTHONPATH. Same cache, key and lock as the venvs.
 */
async function ensurePy2Env(python: string, version: string, reqs: string[], options: VenvOptions): Promise<Venv> {
  const key = createHash('sha256')
    .update(`${version}\n${reqs.join('\n')}`)
    .digest('hex')
    .slice(0, 16);
  const cacheDir = options.cacheDir ?? join(repoRoot(), '.cache', 'python-venvs');
  const dir = join(cacheDir, `py${version}-${key}`);
  const ready = join(dir, '.svc-sentry-ready');
  const env = { PYTHONPATH: join(dir, 'site-packages'), PYTHONNOUSERSITE: '1' };
  const result = (reused: boolean, createdMs: number) => ({ available: true as const, dir, python, reused, requirements: reqs, env, createdMs });
  if (existsSync(ready)) return result(true, 0);
  mkdirSync(cacheDir, { recursive: true });
  const timeout = options.timeoutMs ?? 15 * 60 * 1000;
  return withLock(`${dir}.lock`, timeout, async () => {
    if (existsSync(ready)) return result(true, 0);
    const t0 = Date.now();
    rmSync(dir, { recursive: true, force: true });
    try {
      await run(python, ['-m', 'pip', '--disable-pip-version-check', '--no-input', 'install', '--quiet', '--target', env.PYTHONPATH, ...reqs], {
        timeout,
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, PYTHONWARNINGS: 'ignore' },
      });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `pip install (Python ${version}) ${reqs.join(' ')} failed: ${String(e?.stderr || e?.message)
          .trim()
          .slice(-2000)}`,
      );
    }
    writeFileSync(ready, JSON.stringify({ requirements: reqs, python: version, createdAt: new Date().toISOString() }, null, 2));
    return result(false, Date.now() - t0);
  });
}

export async function ensureVenv(requirements: string[], options: VenvOptions = {}): Promise<Venv> {
  const python = options.python ?? toolCommand('python3');
  const probe = spawnSync(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.startsWith('2.')) {
    return ensurePy2Env(python, probe.stdout.trim(), [...new Set(requirements.map((r) => r.trim()).filter(Boolean))].sort(), options);
  }
  const version = spawnSync(python, ['-c', 'import sys, venv; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    const what = version.error ? `${python} not found on PATH` : `${python} has no venv module (${(version.stderr || '').trim().split('\n').pop()})`;
    return missing(`${what}: install Python 3 with venv and pip (e.g. apt-get install python3 python3-venv) to run the Python tests`);
  }
  const reqs = [...new Set(requirements.map((r) => r.trim()).filter(Boolean))].sort();
  const key = createHash('sha256')
    .update(`${version.stdout.trim()}\n${reqs.join('\n')}`)
    .digest('hex')
    .slice(0, 16);
  const cacheDir = options.cacheDir ?? join(repoRoot(), '.cache', 'python-venvs');
  const dir = join(cacheDir, key);
  const ready = join(dir, '.svc-sentry-ready');
  const venvPython = join(dir, 'bin', 'python');
  if (existsSync(ready)) return { available: true, dir, python: venvPython, reused: true, requirements: reqs, env: {}, createdMs: 0 };

  mkdirSync(cacheDir, { recursive: true });
  const timeout = options.timeoutMs ?? 15 * 60 * 1000;
  return withLock(`${dir}.lock`, timeout, async () => {
    if (existsSync(ready)) return { available: true as const, dir, python: venvPython, reused: true, requirements: reqs, env: {}, createdMs: 0 };
    const t0 = Date.now();
    rmSync(dir, { recursive: true, force: true }); // a half-built venv from an interrupted run
    try {
      await run(python, ['-m', 'venv', dir], { timeout: 120_000 });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      return missing(
        `${python} -m venv failed (${String(e?.stderr || e?.message)
          .trim()
          .split('\n')
          .pop()}): install python3-venv`,
      );
    }
    const pip = [venvPython, '-m', 'pip', '--disable-pip-version-check', '--no-input'];
    try {
      if (reqs.length) await run(pip[0], [...pip.slice(1), 'install', '--quiet', ...reqs], { timeout, maxBuffer: 32 * 1024 * 1024 });
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `pip install ${reqs.join(' ')} failed: ${String(e?.stderr || e?.message)
          .trim()
          .slice(-2000)}`,
      );
    }
    writeFileSync(ready, JSON.stringify({ requirements: reqs, python: version.stdout.trim(), createdAt: new Date().toISOString() }, null, 2));
    return { available: true as const, dir, python: venvPython, reused: false, requirements: reqs, env: {}, createdMs: Date.now() - t0 };
  });
}
