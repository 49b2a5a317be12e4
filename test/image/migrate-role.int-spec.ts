import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MIGRATIONS } from '../../migrations';
import { emptyDatabase, query } from '../harness/database';

const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

/** The built main.js with only `env` (no inherited DATABASE_URL); resolves with its exit code and output. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** SVC_SENTRY_ROLE=migrate: what the Helm chart's pre-install/pre-upgrade Job runs. */
describe('role migrate (SVC_SENTRY_ROLE=migrate)', () => {
  it('applies every migration on an empty database, one line each, exits 0; a second run finds nothing to do', async () => {
    const db = await emptyDatabase('migrate');
    try {
      const first = await runMain({ SVC_SENTRY_ROLE: 'migrate', DATABASE_URL: db.url });
      expect({ code: first.code, out: first.out }).toEqual({ code: 0, out: expect.any(String) });
      const lines = first.out.split('\n').filter((l) => l.includes('applied migration'));
      expect(lines).toHaveLength(MIGRATIONS.length);
      expect(first.out).toContain(`migrations done: ${MIGRATIONS.length} applied`);
      const rows = await query<{ name: string }>(db.url, 'SELECT name FROM svc_sentry_migrations ORDER BY id');
      expect(rows).toHaveLength(MIGRATIONS.length);
      // It only migrates: it never listened or started the job queue (no pg-boss schema).
      expect(first.out).not.toMatch(/listening on/);
      expect(await query(db.url, "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'pgboss'")).toHaveLength(0);

      const second = await runMain({ SVC_SENTRY_ROLE: 'migrate', DATABASE_URL: db.url });
      expect(second.code).toBe(0);
      expect(second.out).not.toContain('applied migration');
      expect(second.out).toContain('schema already up to date');
    } finally {
      await db.drop();
    }
  }, 120_000);

  it('two migrate runs at once (two chart Jobs, or a Job beside a starting replica) both succeed and migrate once', async () => {
    const db = await emptyDatabase('migrate');
    try {
      const [a, b] = await Promise.all([
        runMain({ SVC_SENTRY_ROLE: 'migrate', DATABASE_URL: db.url }),
        runMain({ SVC_SENTRY_ROLE: 'migrate', DATABASE_URL: db.url }),
      ]);
      expect([a.code, b.code]).toEqual([0, 0]);
      const applied = (a.out + b.out).split('\n').filter((l) => l.includes('applied migration'));
      expect(applied).toHaveLength(MIGRATIONS.length);
    } finally {
      await db.drop();
    }
  }, 120_000);

  it('an unreachable database: exit 1, one clear line, no password in the output', async () => {
    const r = await runMain({ SVC_SENTRY_ROLE: 'migrate', DATABASE_URL: 'postgres://svc:s3cret-pw@127.0.0.1:1/nope' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/migrations failed: .*ECONNREFUSED/);
    expect(r.out).not.toContain('s3cret-pw');
    expect(r.out).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);

  it('without DATABASE_URL: exit 2 naming the setting; no embedded PostgreSQL is started', async () => {
    const r = await runMain({ SVC_SENTRY_ROLE: 'migrate', SVC_SENTRY_DATA_DIR: '/nonexistent/never-created' });
    expect(r.code).toBe(2);
    expect(r.out).toContain('role migrate needs DATABASE_URL');
    expect(r.out).not.toMatch(/embedded PostgreSQL with its data/);
  }, 60_000);

  it('an unknown role is refused with the list of roles', async () => {
    const r = await runMain({ SVC_SENTRY_ROLE: 'migrations' });
    expect(r.code).toBe(2);
    expect(r.out).toContain('role must be one of api, worker, all, migrate');
  }, 60_000);
});
