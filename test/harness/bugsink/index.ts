/**
 * A real Bugsink for the suites: `bugsink` from PyPI in a cached virtualenv (test/harness/python/venv.ts), configured
 * without prompts (SQLite, in-request digestion, no phoning home), served by gunicorn on 127.0.0.1, ready at
 * `/health/ready`, stopped by `stop()` (and when the Jest worker exits).
 *
 * The migrated databases, the superuser and the API token are made once into `.cache/bugsink/template-<venv>/`
 * (`bugsink-manage migrate`, `migrate snappea --database=snappea`, `createsuperuser --no-input`,
 * `create_auth_token`); every start copies them into a fresh temporary folder, writes `bugsink_conf.py` there with
 * `bugsink-create-conf --template=local --host=127.0.0.1 --port=P` and starts gunicorn, so no run sees another's data.
 *
 * Python 3.11 is looked up as $SVC_SENTRY_TEST_PYTHON311, `python3.11` on PATH, then pyenv's 3.11.x. Without it:
 * an error under CI=true, else `{ available: false, reason }` and the caller skips visibly.
 */
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { ensureVenv, repoRoot } from '../python/venv';

const run = promisify(execFile);

export const BUGSINK_VERSION = '2.6.2';
/** The Python SDK the suites' programs use; in the same venv (Bugsink itself depends on sentry-sdk). */
export const PYTHON_SDK = 'sentry-sdk==2.75.0';
const REQUIREMENTS = [`bugsink==${BUGSINK_VERSION}`, PYTHON_SDK];
const ADMIN = { username: 'admin', email: 'admin@example.org', password: 'svc-sentry-test-admin' };

export interface RunningBugsink {
  available: true;
  url: string;
  /** Full-access API token (`create_auth_token`). */
  token: string;
  /** The venv's python (has sentry_sdk), for test programs. */
  python: string;
  /** Seconds: venv (0 when cached), template (0 when cached), start until ready. */
  timings: { venvSeconds: number; templateSeconds: number; startSeconds: number };
  /** GET on the canonical API with the token. */
  api(path: string): Promise<any>;
  stop(): Promise<void>;
}

export type BugsinkStart = RunningBugsink | { available: false; reason: string };

function missing(reason: string): BugsinkStart {
  if (process.env.CI === 'true') throw new Error(`${reason} (required under CI=true)`);
  return { available: false, reason };
}

/** A Python 3.11 interpreter, or null. */
export function findPython311(): string | null {
  const candidates = [process.env.SVC_SENTRY_TEST_PYTHON311, 'python3.11'];
  const pyenv = join(homedir(), '.pyenv', 'versions');
  if (existsSync(pyenv))
    for (const v of readdirSync(pyenv)
      .filter((d) => /^3\.11\.\d+$/.test(d))
      .sort())
      candidates.push(join(pyenv, v, 'bin', 'python'));
  for (const c of candidates) {
    if (!c) continue;
    const r = spawnSync(c, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (!r.error && r.status === 0 && r.stdout.trim() === '3.11') return c;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes bugsink_conf.py into `dir` for this port (the local template, plus what the suites need). */
async function writeConf(bin: string, dir: string, port: number): Promise<void> {
  rmSync(join(dir, 'bugsink_conf.py'), { force: true });
  await run(join(bin, 'bugsink-create-conf'), ['--template=local', '--host=127.0.0.1', `--port=${port}`], { cwd: dir, timeout: 120_000 });
  appendFileSync(
    join(dir, 'bugsink_conf.py'),
    [
      '',
      '# svc-sentry test harness: nothing may leave the machine; data in this folder only.',
      'BUGSINK["PHONEHOME"] = False',
      `BUGSINK["INGEST_STORE_BASE_DIR"] = ${JSON.stringify(join(dir, 'ingestion'))}`,
      `DATABASES["default"]["NAME"] = ${JSON.stringify(join(dir, 'db.sqlite3'))}`,
      `DATABASES["snappea"]["NAME"] = ${JSON.stringify(join(dir, 'snappea.sqlite3'))}`,
      '',
    ].join('\n'),
  );
}

/** Migrated databases with a superuser and a token, made once per venv. */
async function ensureTemplate(bin: string, venvDir: string): Promise<{ dir: string; token: string; seconds: number }> {
  const dir = join(repoRoot(), '.cache', 'bugsink', `template-${basename(venvDir)}`);
  const tokenFile = join(dir, 'token');
  if (existsSync(tokenFile)) return { dir, token: readFileSync(tokenFile, 'utf8').trim(), seconds: 0 };
  const t0 = Date.now();
  const work = `${dir}.building-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await writeConf(bin, work, 8000);
  const manage = (args: string[], env: Record<string, string> = {}) =>
    run(join(bin, 'bugsink-manage'), args, { cwd: work, timeout: 600_000, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  await manage(['migrate', '--no-input']);
  await manage(['migrate', 'snappea', '--database=snappea', '--no-input']);
  await manage(['createsuperuser', '--no-input'], {
    DJANGO_SUPERUSER_USERNAME: ADMIN.username,
    DJANGO_SUPERUSER_EMAIL: ADMIN.email,
    DJANGO_SUPERUSER_PASSWORD: ADMIN.password,
  });
  const { stdout } = await manage(['create_auth_token']);
  const token = stdout.trim().split('\n').pop()!.trim();
  if (!/^[0-9a-f]{40}$/.test(token)) throw new Error(`create_auth_token printed no token: ${stdout.slice(0, 200)}`);
  writeFileSync(join(work, 'token'), token);
  rmSync(dir, { recursive: true, force: true });
  cpSync(work, dir, { recursive: true });
  rmSync(work, { recursive: true, force: true });
  return { dir, token, seconds: (Date.now() - t0) / 1000 };
}

export async function startBugsink(): Promise<BugsinkStart> {
  const python = findPython311();
  if (!python) return missing('Python 3.11 not found (python3.11 on PATH, pyenv 3.11.x, or SVC_SENTRY_TEST_PYTHON311): install it to run the Bugsink suites');
  const t0 = Date.now();
  const venv = await ensureVenv(REQUIREMENTS, { python });
  if (!venv.available) return missing(venv.reason);
  const venvSeconds = venv.reused ? 0 : (Date.now() - t0) / 1000;
  const bin = join(venv.dir, 'bin');
  const template = await ensureTemplate(bin, venv.dir);

  const t1 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-bugsink-'));
  for (const f of ['db.sqlite3', 'snappea.sqlite3']) if (existsSync(join(template.dir, f))) cpSync(join(template.dir, f), join(dir, f));
  const port = await freePort();
  await writeConf(bin, dir, port);
  const url = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const child: ChildProcess = spawn(
    join(bin, 'gunicorn'),
    ['--bind', `127.0.0.1:${port}`, '--workers', '1', '--threads', '4', '--timeout', '120', 'bugsink.wsgi'],
    {
      cwd: dir,
      env: { ...process.env, PYTHONPATH: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const keep = (b: Buffer) => {
    log.push(b.toString());
    if (log.length > 200) log.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.on('exit', () => (exited = true));
  const kill = () => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  };
  process.once('exit', kill);

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`bugsink (gunicorn) exited before it was ready:\n${log.join('').slice(-3000)}`);
    }
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      kill();
      throw new Error(`bugsink not ready at ${url}/health/ready within 120 s:\n${log.join('').slice(-3000)}`);
    }
    await sleep(250);
  }
  const startSeconds = (Date.now() - t1) / 1000;

  return {
    available: true,
    url,
    token: template.token,
    python: venv.python,
    timings: { venvSeconds, templateSeconds: template.seconds, startSeconds },
    async api(path: string) {
      const res = await fetch(`${url}/api/canonical/0${path}`, { headers: { authorization: `Bearer ${template.token}`, accept: 'application/json' } });
      if (!res.ok) throw new Error(`bugsink GET ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async stop() {
      process.removeListener('exit', kill);
      if (!exited) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        kill();
        await Promise.race([gone, sleep(10_000)]);
        if (!exited && child.pid) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
