import { spawn } from 'node:child_process';
import { ReconcileWorker } from '../../src/reconcile/reconcile.worker';
import { findPython311, RunningBugsink, startBugsink } from '../harness/bugsink';
import { requirePrerequisite } from '../harness/prerequisites';
import { repoRoot } from '../harness/python/venv';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, waitFor } from '../support/app';
import { baseEnv, configFile, MON } from './support';

const python = requirePrerequisite(
  'Python 3.11 (for a real Bugsink from PyPI)',
  findPython311() ? undefined : 'install Python 3.11 (apt-get install python3.11 python3.11-venv, or pyenv install 3.11) or set SVC_SENTRY_TEST_PYTHON311',
);

/** Runs a program to its end (it is expected to die of its uncaught exception); resolves with its exit code and output. */
function runProgram(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const NODE_PROGRAM = `
const Sentry = require('@sentry/node');
Sentry.init({});  // the DSN comes from SENTRY_DSN
class CheckoutFailedError extends Error { constructor(m) { super(m); this.name = 'CheckoutFailedError'; } }
setTimeout(() => { throw new CheckoutFailedError('card declined in checkout'); }, 10);
`;
const PYTHON_PROGRAM = `
import sentry_sdk
sentry_sdk.init()  # the DSN comes from SENTRY_DSN
class PaymentDeclinedError(Exception):
    pass
raise PaymentDeclinedError("payment declined")
`;

/**
 * Issue 13 on a REAL Bugsink (PyPI, SQLite, in-request digestion) beside the Sentry stand-in, both upstreams of one
 * svc-sentry: provisioning on Bugsink, events from @sentry/node and Python sentry_sdk with the provisioned DSN, a
 * second module, a restart, both upstreams converging in the same test, /readyz naming each, and disable keeping the
 * project with a note because Bugsink cannot delete.
 */
python.describe('Bugsink upstream (real Bugsink 2.6 from PyPI) beside the Sentry stand-in', () => {
  let bs: RunningBugsink;
  let sentry: SentryStandin;
  let t: TestApp;
  let cfg: { path: string; remove: () => void };

  const settled = (app: string, module = 'default', want = 'ready') =>
    waitFor(async () => {
      const s = (await t.api('GET', MON(app, module))).body;
      const envs = Object.values<any>(s?.environments ?? {});
      return envs.length === 2 && envs.every((e) => e.state === want) ? s : null;
    }, 90_000);
  const bugsinkProjects = async (prefix: string) => ((await bs.api('/projects/')).results as any[]).filter((p) => p.slug.startsWith(prefix));

  beforeAll(async () => {
    const started = await startBugsink();
    if (!started.available) throw new Error(started.reason); // only reachable under CI=false with a half-working Python
    bs = started;
    console.log(`[bugsink] ${JSON.stringify(bs.timings)}`);
    sentry = await startSentryStandin({ orgs: ['acme'] });
    cfg = configFile({
      upstreams: [
        { name: 'saas', kind: 'sentry', url: sentry.url, token: 'test-token', org: 'acme', rateLimitPerSecond: 200 },
        { name: 'selfhosted', kind: 'bugsink', url: bs.url, token: bs.token },
      ],
      defaultUpstream: 'saas',
      plans: [{ name: 'bugsink', upstream: 'selfhosted', description: 'Projects in the team Bugsink' }],
    });
    t = await startTestApp(baseEnv(cfg.path));
  }, 1_800_000);
  afterAll(async () => {
    await t?.close();
    await sentry?.close();
    await bs?.stop();
    cfg?.remove();
  });

  it('enable on a Bugsink plan: the projects exist in Bugsink, in a team named after the app, with the DSN svc-sentry serves', async () => {
    expect((await t.api('PUT', MON('bsshop', 'web'), { enabled: true, plan: 'bugsink', developers: ['dev@bsshop.example'] })).status).toBe(202);
    const s = await settled('bsshop', 'web');
    const teams = (await bs.api('/teams/')).results as any[];
    const team = teams.find((x) => x.name === 'bsshop');
    expect(team).toBeDefined();
    for (const env of ['stag', 'prod']) {
      const [p] = await bugsinkProjects(`bsshop-web-${env}`);
      expect(p).toMatchObject({ slug: `bsshop-web-${env}`, name: `bsshop-web-${env}`, team: team.id });
      const detail = await bs.api(`/projects/${p.id}/`);
      expect(s.environments[env].dsn).toBe(detail.dsn);
      expect(detail.alert_on_new_issue).toBe(true); // the plan's default alert rule
      expect(s.environments[env].project).toMatchObject({ slug: `bsshop-web-${env}`, id: String(p.id), adminUrl: `${bs.url}/issues/${p.id}/` });
    }
  });

  it('@sentry/node and Python sentry_sdk programs given SENTRY_DSN raise; Bugsink shows the issues with their exception types', async () => {
    const s = (await t.api('GET', MON('bsshop', 'web'))).body;
    const dsn = s.environments.stag.dsn;
    const projectId = s.environments.stag.project.id;
    const node = await runProgram(process.execPath, ['-e', NODE_PROGRAM], { SENTRY_DSN: dsn });
    expect(node.code).not.toBe(0);
    const py = await runProgram(bs.python, ['-c', PYTHON_PROGRAM], { SENTRY_DSN: dsn });
    expect(py.code).not.toBe(0);
    const types = await waitFor(async () => {
      const issues = ((await bs.api(`/issues/?project=${projectId}`)).results as any[]).map((i) => i.calculated_type);
      return issues.includes('CheckoutFailedError') && issues.includes('PaymentDeclinedError') ? issues : null;
    }, 30_000);
    expect(types.sort()).toEqual(['CheckoutFailedError', 'PaymentDeclinedError']);
    // Nothing landed in the prod project.
    expect((await bs.api(`/issues/?project=${s.environments.prod.project.id}`)).results).toHaveLength(0);
  }, 180_000);

  it('plans on two upstreams in one svc-sentry converge together, and /readyz names each upstream', async () => {
    await Promise.all([t.api('PUT', MON('bsshop', 'worker'), { enabled: true, plan: 'bugsink' }), t.api('PUT', MON('saasapp', 'default'), { enabled: true })]);
    const [onBugsink, onSentry] = await Promise.all([settled('bsshop', 'worker'), settled('saasapp')]);
    for (const env of ['stag', 'prod']) {
      expect(onBugsink.environments[env].dsn).toContain(bs.url.replace('http://', ''));
      expect(onSentry.environments[env].dsn).toContain(sentry.url.replace('http://', ''));
    }
    expect(
      sentry.state
        .projects('acme')
        .map((p) => p.slug)
        .sort(),
    ).toEqual(['saasapp-default-prod', 'saasapp-default-stag']);
    expect((await bugsinkProjects('bsshop-')).map((p) => p.slug).sort()).toEqual([
      'bsshop-web-prod',
      'bsshop-web-stag',
      'bsshop-worker-prod',
      'bsshop-worker-stag',
    ]);
    const ready = await fetch(`${t.url}/readyz`);
    const text = await ready.text();
    expect(ready.status).toBe(200);
    expect(text).toContain('upstream:saas');
    expect(text).toContain('upstream:selfhosted');
  });

  it('a restart of svc-sentry (fresh adapter state) converges again on Bugsink: no duplicate team or project', async () => {
    await t.app.close();
    t = await startTestApp(baseEnv(cfg.path, { SVC_SENTRY_ENCRYPTION_KEY: t.encryptionKey }), { databaseUrl: t.databaseUrl });
    await t.app.get(ReconcileWorker).resync();
    await t.api('PUT', MON('bsshop', 'api'), { enabled: true, plan: 'bugsink' });
    await settled('bsshop', 'api');
    await settled('bsshop', 'web');
    expect((await bugsinkProjects('bsshop-')).length).toBe(6);
    expect(((await bs.api('/teams/')).results as any[]).filter((x) => x.name === 'bsshop')).toHaveLength(1);
    expect((await bugsinkProjects('bsshop-')).some((p) => /-\d+$/.test(p.slug))).toBe(false);
  });

  it('disable on Bugsink: disabled, and the status says the project was kept because Bugsink cannot delete', async () => {
    await t.api('PUT', MON('bsshop', 'web'), { enabled: false });
    const s = await settled('bsshop', 'web', 'disabled');
    for (const env of ['stag', 'prod']) {
      expect(s.environments[env].error).toMatch(/project kept: Bugsink cannot delete projects/);
      expect(await bugsinkProjects(`bsshop-web-${env}`)).toHaveLength(1);
    }
  });
});
