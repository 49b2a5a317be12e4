import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseRequirements } from '../../src/legacy-migration/core/requirements';
import { SdkMode } from '../../src/legacy-migration/core/types';
import { migrateDirectory } from '../../src/legacy-migration/io/run';
import { ensureVenv, Venv } from '../harness/python/venv';
import { requireTool } from '../harness/prerequisites';
import { PYTHON3_INSTALL } from './fixture-helpers';
import { startSentryStandin } from '../harness/sentry-standin';
import type { SentryStandin } from '../harness/sentry-standin';

/**
 * The real run: the Django and Flask fixture apps are patched on disk, run in-process by a Python driver in a
 * virtualenv from PyPI, and a view raising ZeroDivisionError must reach the Sentry stand-in through SENTRY_DSN —
 * raven with the legacy `public:secret` DSN, sentry-sdk with the public DSN.
 */
const run = promisify(execFile);
// Exact pins on top of the patched apps' own requirements.txt lines (reproducible venv key). Django 3.2 is the
// newest line raven 6.10's Django integration is known to work with; all of these run on Python 3.11.
const REAL_RUN_PINS = ['Django==3.2.25', 'raven==6.10.0', 'sentry-sdk==2.19.2', 'Flask==3.0.3'];
const AUTH = { Authorization: 'Bearer test-token', 'Content-Type': 'application/json' };

const cases: Array<{ fixture: string; kind: 'django' | 'flask'; module: string; path: string; sdk: SdkMode; dsnForm: 'secret' | 'public'; sdkName: RegExp }> = [
  { fixture: 'django-app', kind: 'django', module: 'mysite.settings', path: '/boom/', sdk: 'raven', dsnForm: 'secret', sdkName: /raven/ },
  { fixture: 'django-app', kind: 'django', module: 'mysite.settings', path: '/boom/', sdk: 'sentry-sdk', dsnForm: 'public', sdkName: /sentry\.python/ },
  { fixture: 'flask-app', kind: 'flask', module: 'app', path: '/boom', sdk: 'raven', dsnForm: 'secret', sdkName: /raven/ },
  { fixture: 'flask-app', kind: 'flask', module: 'app', path: '/boom', sdk: 'sentry-sdk', dsnForm: 'public', sdkName: /sentry\.python/ },
];

// Python 3 with its venv module is a prerequisite: skipped with the reason outside CI, a failure under CI=true.
const python = requireTool('python3', PYTHON3_INSTALL, { args: ['-c', 'import venv, ensurepip'] });

python.describe('legacy migration: the real run (patched apps in a virtualenv report to the stand-in)', () => {
  let venv: Venv;
  let standin: SentryStandin;
  let work = '';

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${standin.url}/api/0${path}`, { method, headers: AUTH, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async function newProject(slug: string): Promise<{ id: string; dsn: { public: string; secret: string } }> {
    const project = await api<{ id: string; slug: string }>('POST', '/teams/acme/legacy/projects/', { name: slug, slug, platform: 'python' });
    const [key] = await api<Array<{ dsn: { public: string; secret: string } }>>('GET', `/projects/acme/${project.slug}/keys/`);
    return { id: String(project.id), dsn: key.dsn };
  }

  const appDir = (c: { fixture: string; sdk: SdkMode }) => join(work, `${c.fixture}-${c.sdk}`);

  beforeAll(
    async () => {
      // Patch the four app copies first: the venv installs what their patched requirements.txt ask for.
      work = mkdtempSync(join(tmpdir(), 'legacy-real-run-'));
      const fromApps = new Set<string>();
      for (const c of cases) {
        cpSync(join(__dirname, 'fixtures', c.fixture), appDir(c), { recursive: true });
        const report = migrateDirectory(appDir(c), { sdk: c.sdk });
        expect(report.status).toBe('patched');
        for (const r of parseRequirements(readFileSync(join(appDir(c), 'requirements.txt'), 'utf8'))) fromApps.add(r.raw.trim());
      }
      venv = await ensureVenv([...REAL_RUN_PINS, ...fromApps]);
      // python3 with venv was checked when the suite loaded; a venv that still cannot be made is a failure.
      if (!venv.available) throw new Error(`real run: ${venv.reason}`);
      standin = await startSentryStandin();
      await api('POST', '/organizations/acme/teams/', { slug: 'legacy' });
    },
    20 * 60 * 1000,
  );

  afterAll(async () => {
    await standin?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.each(cases)(
    '$fixture patched for $sdk reports ZeroDivisionError with the $dsnForm DSN',
    async (c) => {
      if (!venv.available) throw new Error(`real run: ${venv.reason}`);
      const dir = appDir(c);

      const project = await newProject(`${c.fixture}-${c.sdk}`);
      const dsn = project.dsn[c.dsnForm];
      expect(new URL(dsn).password !== '').toBe(c.dsnForm === 'secret');
      const { stdout } = await run(venv.python, [join(__dirname, 'real-run', 'drive.py'), c.kind, dir, c.module, c.path], {
        env: { PATH: process.env.PATH, SENTRY_DSN: dsn, SENTRY_ENVIRONMENT: 'stag', PYTHONDONTWRITEBYTECODE: '1' },
        timeout: 60_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(result).toMatchObject({ status: 500, dsn_set: true, flushed: [c.sdk] });

      const event = await standin.waitForEvent((e) => e.projectId === project.id && e.exceptionType === 'ZeroDivisionError', 15_000);
      expect(event.exceptionType).toBe('ZeroDivisionError');
      expect(event.sdk).toMatch(c.sdkName);
      expect(event.secretGiven ?? false).toBe(c.dsnForm === 'secret');
      if (c.dsnForm === 'secret') expect(event.secretValid).toBe(true);
    },
    120_000,
  );
});
