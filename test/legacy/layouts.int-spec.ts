import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SdkMode } from '../../src/legacy-migration/core/types';
import { migrateDirectory } from '../../src/legacy-migration/io/run';
import { requirePrerequisite, requireTool } from '../harness/prerequisites';
import { ensureVenv, python27, Venv } from '../harness/python/venv';
import { startSentryStandin } from '../harness/sentry-standin';
import type { SentryStandin } from '../harness/sentry-standin';

/**
 * Issue 12: the layouts people really have, loaded for real. Each fixture is patched on disk, then Django is set up
 * (`django.setup()`) with every settings module the app can start with, under four SENTRY_DSN shapes (modern, legacy
 * public:secret, empty, garbage): it must never crash, and a Sentry client with that DSN must be configured whenever the
 * installed SDK can use the DSN (raven 6.1.0 needs the secret; raven 6.10 and sentry-sdk take both forms).
 * raven fixtures of BlueKing apps run on Python 2.7 + Django 1.8 + raven 6.1.0, the rest on Python 3.
 * Then real runs: the patched app raises in a view and the event must reach the Sentry stand-in.
 */
const run = promisify(execFile);
type EnvName = 'py2-raven61' | 'py3-django32' | 'py3-django42';
const ENV_PINS: Record<EnvName, string[]> = {
  'py2-raven61': ['Django==1.8.19', 'raven==6.1.0'],
  'py3-django32': ['Django==3.2.25', 'raven==6.10.0', 'sentry-sdk==2.19.2'],
  'py3-django42': ['Django==4.2.16', 'sentry-sdk==2.19.2'],
};

interface Case {
  fixture: string;
  sdk: SdkMode;
  env: EnvName;
  /** Every way the app can start: settings module and the environment that selects it. */
  starts: Array<{ module: string; env?: Record<string, string> }>;
  /** The modules the report must list as wired. */
  wired: string[];
}

const blueappsStarts = ['development', 'testing', 'production'].map((e) => ({ module: 'settings', env: { BK_ENV: e } }));
const CASES: Case[] = [
  {
    fixture: 'blueapps-vendored',
    sdk: 'raven',
    env: 'py2-raven61',
    starts: blueappsStarts,
    wired: ['settings', 'config.dev', 'config.prod', 'config.stag'],
  },
  {
    fixture: 'blueapps-vendored',
    sdk: 'sentry-sdk',
    env: 'py3-django32',
    starts: blueappsStarts,
    wired: ['settings', 'config.dev', 'config.prod', 'config.stag'],
  },
  {
    fixture: 'paas2-template',
    sdk: 'raven',
    env: 'py2-raven61',
    starts: [{ module: 'settings' }, { module: 'settings', env: { BK_ENV: 'production' } }],
    wired: ['settings'],
  },
  {
    fixture: 'paas2-template',
    sdk: 'sentry-sdk',
    env: 'py3-django32',
    starts: [{ module: 'settings' }, { module: 'settings', env: { BK_ENV: 'production' } }],
    wired: ['settings'],
  },
  {
    fixture: 'bk-legacy-django',
    sdk: 'raven',
    env: 'py2-raven61',
    starts: [{ module: 'settings' }, { module: 'settings', env: { BK_ENV: 'production' } }],
    wired: ['settings'],
  },
  {
    fixture: 'django-split-settings',
    sdk: 'raven',
    env: 'py3-django32',
    starts: [{ module: 'settings.dev' }, { module: 'settings.production' }],
    wired: ['settings.dev', 'settings.production'],
  },
  {
    fixture: 'django-split-settings',
    sdk: 'sentry-sdk',
    env: 'py3-django32',
    starts: [{ module: 'settings.dev' }, { module: 'settings.production' }],
    wired: ['settings.dev', 'settings.production'],
  },
  { fixture: 'django-modern', sdk: 'sentry-sdk', env: 'py3-django42', starts: [{ module: 'portal.settings' }], wired: ['portal.settings'] },
  { fixture: 'django-app', sdk: 'raven', env: 'py3-django32', starts: [{ module: 'mysite.settings' }], wired: ['mysite.settings'] },
  { fixture: 'django-app', sdk: 'sentry-sdk', env: 'py3-django32', starts: [{ module: 'mysite.settings' }], wired: ['mysite.settings'] },
];

const PUBLIC = '0123456789abcdef0123456789abcdef';
const SECRET = 'fedcba9876543210fedcba9876543210';
const DSNS = {
  modern: `http://${PUBLIC}@127.0.0.1:9/42`,
  legacy: `http://${PUBLIC}:${SECRET}@127.0.0.1:9/42`,
  empty: '',
  garbage: 'not a dsn at all',
} as const;
type DsnShape = keyof typeof DSNS;

/** Whether the SDK the env installs can use the DSN (raven < 6.7 needs the secret part). */
const usable = (env: EnvName, shape: DsnShape) => shape === 'legacy' || (shape === 'modern' && env !== 'py2-raven61');

const py2 = python27();
const python2 = requirePrerequisite('Python 2.7 (raven 6.1.0 / Django 1.8 fixtures)', py2.python ? undefined : py2.reason, py2.python ?? 'python2.7');
const python3 = requireTool('python3', 'apt-get install -y python3 python3-venv', { args: ['-c', 'import venv'] });

const work = mkdtempSync(join(tmpdir(), 'legacy-layouts-'));
const appDir = (c: Case) => join(work, `${c.fixture}-${c.sdk}`);
const venvs = new Map<EnvName, Promise<Venv>>();
function venvFor(env: EnvName): Promise<Venv> {
  if (!venvs.has(env)) {
    const t0 = Date.now();
    const p = ensureVenv(ENV_PINS[env], env === 'py2-raven61' ? { python: py2.python } : {}).then((v) => {
      if (v.available) console.log(`venv ${env}: ${v.reused ? 'reused' : `created in ${((Date.now() - t0) / 1000).toFixed(1)} s`} (${v.dir})`);
      return v;
    });
    venvs.set(env, p);
  }
  return venvs.get(env)!;
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a Python script of test/legacy/real-run with the venv, the app's start environment and SENTRY_DSN; parses the last JSON line. */
async function py(venv: Extract<Venv, { available: true }>, script: string, args: string[], env: Record<string, string>) {
  const { stdout, stderr } = await run(venv.python, [join(__dirname, 'real-run', script), ...args], {
    env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1', ...venv.env, ...env },
    timeout: 120_000,
  });
  return { result: JSON.parse(stdout.trim().split('\n').pop()!), stderr };
}

const byEnv = (env: EnvName) => (env === 'py2-raven61' ? python2 : python3);

for (const c of CASES) {
  byEnv(c.env).describe(`${c.fixture} patched for ${c.sdk} (${c.env})`, () => {
    let venv: Extract<Venv, { available: true }>;
    beforeAll(
      async () => {
        cpSync(join(__dirname, 'fixtures', c.fixture), appDir(c), { recursive: true });
        const report = migrateDirectory(appDir(c), { sdk: c.sdk });
        expect(report.status).toBe('patched');
        expect(report.summary.settingsWired.map((w) => w.module).sort()).toEqual([...c.wired].sort());
        const v = await venvFor(c.env);
        if (!v.available) throw new Error(v.reason);
        venv = v;
      },
      20 * 60 * 1000,
    );

    const combos = c.starts.flatMap((s) => (Object.keys(DSNS) as DsnShape[]).map((shape) => ({ ...s, shape })));
    it.each(combos.map((x) => [`${x.module}${x.env ? ` ${JSON.stringify(x.env)}` : ''}`, x.shape, x] as const))(
      'django.setup() with %s and a %s DSN: no crash, client configured iff the DSN is usable',
      async (_start, shape, x) => {
        const { result, stderr } = await py(venv, 'load.py', [appDir(c), x.module], { ...(x.env ?? {}), SENTRY_DSN: DSNS[shape] });
        expect(result).toMatchObject({ setup: true });
        if (usable(c.env, shape)) {
          expect(result).toMatchObject({ client: c.sdk, public_key: PUBLIC, host: '127.0.0.1:9' });
        } else {
          expect(result.client).toBeNull();
          if (shape !== 'empty') expect(stderr).toMatch(/SENTRY_DSN is set but .* cannot use it \(\w+\); Sentry reporting is off/);
        }
        expect(stderr).not.toContain(SECRET);
      },
      180_000,
    );
  });
}

/** Real runs: the patched app reports a ZeroDivisionError to the stand-in. */
const REAL: Array<{ fixture: string; sdk: SdkMode; env: EnvName; module: string; startEnv: Record<string, string>; dsnForm: 'secret' | 'public' }> = [
  { fixture: 'blueapps-vendored', sdk: 'raven', env: 'py2-raven61', module: 'settings', startEnv: { BK_ENV: 'production' }, dsnForm: 'secret' },
  { fixture: 'blueapps-vendored', sdk: 'sentry-sdk', env: 'py3-django32', module: 'settings', startEnv: { BK_ENV: 'production' }, dsnForm: 'public' },
  { fixture: 'django-split-settings', sdk: 'raven', env: 'py3-django32', module: 'settings.production', startEnv: {}, dsnForm: 'public' },
  { fixture: 'django-split-settings', sdk: 'sentry-sdk', env: 'py3-django32', module: 'settings.production', startEnv: {}, dsnForm: 'public' },
  { fixture: 'django-modern', sdk: 'sentry-sdk', env: 'py3-django42', module: 'portal.settings', startEnv: {}, dsnForm: 'public' },
];

const AUTH = { Authorization: 'Bearer test-token', 'Content-Type': 'application/json' };
let standin: SentryStandin | undefined;
async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${standin!.url}/api/0${path}`, { method, headers: AUTH, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
afterAll(() => standin?.close());

for (const r of REAL) {
  byEnv(r.env).it(
    `real run: ${r.fixture} (${r.sdk}, ${r.env}) started with ${r.module} ${JSON.stringify(r.startEnv)} reports ZeroDivisionError with the ${r.dsnForm} DSN`,
    async () => {
      const dir = join(work, `real-${r.fixture}-${r.sdk}`);
      cpSync(join(__dirname, 'fixtures', r.fixture), dir, { recursive: true });
      expect(migrateDirectory(dir, { sdk: r.sdk }).status).toBe('patched');
      const v = await venvFor(r.env);
      if (!v.available) throw new Error(v.reason);
      if (!standin) {
        standin = await startSentryStandin();
        await api('POST', '/organizations/acme/teams/', { slug: 'layouts' });
      }
      const slug = `${r.fixture}-${r.sdk}`.slice(0, 40);
      const project = await api<{ id: string; slug: string }>('POST', '/teams/acme/layouts/projects/', { name: slug, slug, platform: 'python' });
      const [key] = await api<Array<{ dsn: { public: string; secret: string } }>>('GET', `/projects/acme/${project.slug}/keys/`);
      const { result } = await py(v, 'drive.py', ['django', dir, r.module, '/boom/'], { ...r.startEnv, SENTRY_DSN: key.dsn[r.dsnForm] });
      expect(result).toMatchObject({ status: 500, dsn_set: true, flushed: [r.sdk] });
      const event = await standin.waitForEvent((e) => e.projectId === String(project.id) && e.exceptionType === 'ZeroDivisionError', 30_000);
      expect(event.sdk).toMatch(r.sdk === 'raven' ? /raven/ : /sentry\.python/);
    },
    20 * 60 * 1000,
  );
}
